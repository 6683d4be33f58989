/** Axis ticks: "nice" positions and short labels. */

/**
 * Tick positions covering [min, max] at a "nice" step (1, 2 or 5 times a power of ten), about
 * `target` of them. Equal min and max are widened around the value; non-finite input gives [0, 1].
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  const first = Math.floor(min / step + 1e-9) * step;
  const last = Math.ceil(max / step - 1e-9) * step;
  const decimals = Math.min(12, Math.max(0, -Math.floor(Math.log10(step)) + 1));
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + step * 1e-9; k++)
    ticks.push(Number((first + k * step).toFixed(decimals)));
  return ticks;
}

/** A tick's label: plain for ordinary magnitudes, exponential for very large or small ones. */
export function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(6)));
}
