"""Server-rendered pages for people: a moment, the history of moments, the dream reviews.
The dashboard, observer and perceptor pages are in dreams.views."""
