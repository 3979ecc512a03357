() => {
  // The problems a person would meet on the page now, one line each (test_every_page.py).
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    const sticking = [...document.body.querySelectorAll("*")].filter(e => {
      const r = e.getBoundingClientRect();
      const parent = e.parentElement.getBoundingClientRect();
      return r.width > 0 && r.right > root.clientWidth + 1 && parent.right <= root.clientWidth + 1;
    }).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().split(/\s+/).join(".") : ""));
    problems.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window (${sticking.join(", ")})`);
  }
  const describe = e => {
    const text = (e.innerText || e.value || e.getAttribute("aria-label") || e.name || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} "${text}"`;
  };
  const box = rects => {
    const left = Math.min(...rects.map(r => r.left)), top = Math.min(...rects.map(r => r.top));
    const right = Math.max(...rects.map(r => r.right)), bottom = Math.max(...rects.map(r => r.bottom));
    return {width: right - left, height: bottom - top};
  };
  // WCAG 2.5.8's inline exception: a link in a sentence, its size set by the line of text.
  const inSentence = e => {
    if (e.tagName !== "A" || getComputedStyle(e).display !== "inline") return false;
    const line = e.parentElement;
    return (line.innerText || "").trim().length > (e.innerText || "").trim().length;
  };
  const controls = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary");
  for (const e of controls) {
    if (e.closest(".visually-hidden") || e.matches(".visually-hidden-focusable:not(:focus)")) continue;
    if (e.closest(".js-plotly-plot")) continue;  // Plotly draws and sizes its own chart controls
    // Hidden, or inside a closed disclosure: nobody can click it until it opens.
    if (!e.checkVisibility({visibilityProperty: true}) || e.getClientRects().length === 0) continue;
    let rects = [...e.getClientRects()];
    const inside = r => r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= root.clientWidth;
    if (!inside(rects[0])) {
      e.scrollIntoView({block: "center", inline: "center"});
      rects = [...e.getClientRects()];
    }
    // A field's label is part of what a person clicks (a checkbox and its words).
    const labels = e.labels ? [...e.labels] : [];
    const size = box(rects.concat(labels.flatMap(l => [...l.getClientRects()])));
    if ((size.width < 24 || size.height < 24) && !inSentence(e)) {
      problems.push(`${describe(e)} is ${Math.round(size.width)}×${Math.round(size.height)}px`);
      continue;
    }
    const first = rects[0];
    const hit = document.elementFromPoint(first.left + first.width / 2, first.top + first.height / 2);
    const mine = hit && (hit === e || e.contains(hit) || labels.some(l => l.contains(hit)));
    if (!mine) {
      problems.push(`${describe(e)} is covered by ${hit ? describe(hit) : "nothing (outside the window)"}`);
    }
  }
  for (const frame of document.querySelectorAll("iframe")) {
    const body = frame.contentDocument && frame.contentDocument.body;
    if (!body || !body.innerText.trim()) problems.push(`the frame ${frame.getAttribute("src")} is empty`);
  }
  window.scrollTo(0, 0);
  return problems;
}
