// Keeps the CSS variable --nav-height equal to the sticky navigation's height, so that
// `scroll-margin-top` (style.css) keeps a heading clear of the navigation after an anchor
// jump, however many lines the navigation wraps onto.
export function watchNavHeight(): void {
  const nav = document.querySelector("nav");
  if (!nav) return;
  const update = () =>
    document.documentElement.style.setProperty(
      "--nav-height",
      `${nav.getBoundingClientRect().height}px`,
    );
  update();
  new ResizeObserver(update).observe(nav);
}
