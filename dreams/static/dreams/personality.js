// The personality page: while a trial runs (the engine may take a while), say so and keep
// a second click from sending it again. The page works the same without this script.

const form = document.querySelector('[data-personality-form]');
const status = form && form.querySelector('[data-try-status]');

if (form && status) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.busy === 'true') {
      event.preventDefault();
      return;
    }
    form.dataset.busy = 'true';
    form.setAttribute('aria-busy', 'true');
    if (event.submitter && event.submitter.hasAttribute('data-try')) {
      status.textContent = 'Trying the voice: the engine is thinking. Nothing will be stored.';
    }
  });
  // Coming back to the page from the browser's history must not leave it locked.
  window.addEventListener('pageshow', () => {
    delete form.dataset.busy;
    form.removeAttribute('aria-busy');
  });
}
