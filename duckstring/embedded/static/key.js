// The Catchment key (runtime.md §5): kept in localStorage per Catchment location, asked for
// with a modal dialog when the API answers 401. Concurrent 401s share one prompt.

const store = () => `duckstring.key:${new URL('.', document.baseURI).pathname}`;

let pending = null;

export function storedKey() {
  try {
    return localStorage.getItem(store()) || '';
  } catch {
    return '';
  }
}

function remember(key) {
  try {
    if (key) localStorage.setItem(store(), key);
    else localStorage.removeItem(store());
  } catch {
    // private mode without storage: the key lives for this page only
  }
}

export function forgetKey() {
  remember('');
}

export function askForKey(rejected) {
  // Resolve once the person has entered a key (never rejects: the UI has nothing to show
  // without one).
  if (pending) return pending;
  const dialog = document.getElementById('key-dialog');
  const form = dialog.querySelector('form');
  const input = dialog.querySelector('input[type=password]');
  const note = dialog.querySelector('.key-note');
  note.textContent = rejected
    ? 'That key was refused. Enter the key of this Catchment.'
    : 'This Catchment needs a key.';
  note.classList.toggle('error', Boolean(rejected));
  input.value = '';
  pending = new Promise((resolve) => {
    const submit = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        input.focus();
        return;
      }
      form.removeEventListener('submit', submit);
      remember(key);
      dialog.close();
      pending = null;
      resolve(key);
    };
    form.addEventListener('submit', submit);
  });
  dialog.addEventListener('cancel', (event) => event.preventDefault(), { once: true });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return pending;
}
