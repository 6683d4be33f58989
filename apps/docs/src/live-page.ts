/**
 * The page helpers the live examples of index.html share: finding an element, a run's status
 * line, an @snn/plot SVG in its placeholder, and an error as text.
 */

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no element #${id}`);
  return found as T;
}

export type State = "idle" | "running" | "done" | "error";

export function setStatus(id: string, state: State, text: string, backend?: string): void {
  const status = element(id);
  status.dataset.state = state;
  if (backend !== undefined) status.dataset.backend = backend;
  else delete status.dataset.backend;
  status.textContent = text;
  status.className = `status ${state}`;
}

/** Shows an @snn/plot SVG in its placeholder; returns the placeholder. */
export function showPlot(id: string, svg: string): HTMLElement {
  const host = element(id);
  host.innerHTML = svg;
  return host;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
