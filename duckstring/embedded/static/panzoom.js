// Pan and zoom of one SVG <g> inside its <svg>: drag to pan, wheel (or pinch) to zoom about
// the pointer, keys + − 0 and arrows when the canvas has focus. A drag never counts as a click.

const MIN = 0.15;
const MAX = 2.5;

export function panZoom(svg, viewport, { onZoom } = {}) {
  let k = 1;
  let tx = 0;
  let ty = 0;
  let drag = null;
  let dragged = false;

  const apply = () => {
    viewport.setAttribute('transform', `translate(${tx.toFixed(1)} ${ty.toFixed(1)}) scale(${k.toFixed(4)})`);
    if (onZoom) onZoom(k);
  };

  const zoomAt = (factor, px, py) => {
    const next = Math.min(MAX, Math.max(MIN, k * factor));
    tx = px - ((px - tx) * next) / k;
    ty = py - ((py - ty) * next) / k;
    k = next;
    apply();
  };

  const centre = () => {
    const r = svg.getBoundingClientRect();
    return [r.width / 2, r.height / 2];
  };

  svg.addEventListener('wheel', (event) => {
    event.preventDefault();
    const r = svg.getBoundingClientRect();
    const step = event.ctrlKey ? 0.01 : 0.0015; // pinch gestures arrive as ctrl+wheel
    zoomAt(Math.exp(-event.deltaY * step), event.clientX - r.left, event.clientY - r.top);
    view.moved = true;
  }, { passive: false });

  svg.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, tx, ty, id: event.pointerId };
    dragged = false;
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!dragged && Math.hypot(dx, dy) < 4) return;
    if (!dragged) {
      dragged = true;
      svg.setPointerCapture(drag.id);
      svg.classList.add('panning');
      view.moved = true;
    }
    tx = drag.tx + dx;
    ty = drag.ty + dy;
    apply();
  });
  const end = () => {
    drag = null;
    svg.classList.remove('panning');
  };
  svg.addEventListener('pointerup', end);
  svg.addEventListener('pointercancel', end);
  // A click that ends a drag is swallowed before it reaches a Pond.
  svg.addEventListener('click', (event) => {
    if (dragged) {
      event.stopPropagation();
      event.preventDefault();
      dragged = false;
    }
  }, true);

  svg.addEventListener('keydown', (event) => {
    if (event.target !== svg) return;
    const [cx, cy] = centre();
    const moves = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
    if (event.key === '+' || event.key === '=') zoomAt(1.2, cx, cy);
    else if (event.key === '-' || event.key === '_') zoomAt(1 / 1.2, cx, cy);
    else if (event.key === '0') view.fit();
    else if (moves[event.key]) {
      tx += moves[event.key][0];
      ty += moves[event.key][1];
      apply();
    } else return;
    event.preventDefault();
    if (event.key !== '0') view.moved = true;
  });

  const view = {
    moved: false, // set once the person pans or zooms; a fit clears it
    get scale() {
      return k;
    },
    zoomBy(factor) {
      const [cx, cy] = centre();
      zoomAt(factor, cx, cy);
      view.moved = true;
    },
    fit(width, height, { margin = 32, minScale = 0.25, maxScale = 1 } = {}) {
      // Show the whole graph when it fits at a readable scale (minScale: the caller knows what
      // stays readable); otherwise the readable scale, anchored at the top left (Inlets
      // first), and the rest is a pan away. Without arguments: the last extent again.
      if (width === undefined) {
        if (!view.extent) return;
        [width, height, { margin, minScale, maxScale }] = view.extent;
      }
      view.extent = [width, height, { margin, minScale, maxScale }];
      view.moved = false;
      const r = svg.getBoundingClientRect();
      if (!r.width || !r.height || !width || !height) return;
      const fitK = Math.min((r.width - 2 * margin) / width, (r.height - 2 * margin) / height);
      k = Math.min(maxScale, Math.max(minScale, fitK));
      tx = width * k + 2 * margin <= r.width ? (r.width - width * k) / 2 : margin;
      ty = height * k + 2 * margin <= r.height ? (r.height - height * k) / 2 : margin;
      apply();
    },
    reveal(x, y, w, h, margin = 40) {
      // Pan the least distance that brings the rectangle (graph units) into view.
      const r = svg.getBoundingClientRect();
      const left = x * k + tx;
      const top = y * k + ty;
      if (left < margin) tx += margin - left;
      else if (left + w * k > r.width - margin) tx -= Math.min(left - margin, left + w * k - r.width + margin);
      if (top < margin) ty += margin - top;
      else if (top + h * k > r.height - margin) ty -= Math.min(top - margin, top + h * k - r.height + margin);
      apply();
    },
  };
  apply();
  return view;
}
