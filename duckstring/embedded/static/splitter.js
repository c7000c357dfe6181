// The handle between the canvas and the run history: drag it, or focus it and use the arrow
// keys, to give either more room. The height is remembered in the browser.

const STORE = 'duckstring.history-height';
const MIN = 80;

export function splitter(handle, main) {
  const set = (px) => {
    const room = main.getBoundingClientRect().height;
    const height = Math.round(Math.min(Math.max(px, MIN), room - 120));
    main.style.setProperty('--history-h', `${height}px`);
    handle.setAttribute('aria-valuenow', String(height));
    try {
      localStorage.setItem(STORE, String(height));
    } catch {
      // no storage: the size lasts for this page
    }
  };
  const current = () => main.lastElementChild.getBoundingClientRect().height;
  let saved = null;
  try {
    saved = Number(localStorage.getItem(STORE)) || null;
  } catch {
    saved = null;
  }
  if (saved) set(saved);

  handle.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    handle.classList.add('dragging');
    const move = (e) => set(main.getBoundingClientRect().bottom - e.clientY);
    const up = () => {
      handle.classList.remove('dragging');
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  });
  handle.addEventListener('keydown', (event) => {
    const step = { ArrowUp: 40, ArrowDown: -40 }[event.key];
    if (step) {
      event.preventDefault();
      set(current() + step);
    }
  });
}
