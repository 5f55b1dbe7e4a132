// Small line charts on a canvas: the loss curve and the gradient-norm-versus-time plot, one line per series.
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface ChartOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  /** Logarithmic y axis (values ≤ 0 are left out). */
  readonly logY?: boolean;
}

export function drawChart(canvas: HTMLCanvasElement, series: readonly Series[], options: ChartOptions): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth || 400;
  const height = canvas.clientHeight || 200;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const fy = options.logY ? (v: number) => Math.log10(v) : (v: number) => v;
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(fy(y)));
  const pad = { left: 52, right: 10, top: 10, bottom: 30 };
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#666';
  g.fillText(options.xLabel, width / 2 - 20, height - 4);
  g.save();
  g.translate(12, height / 2 + 20);
  g.rotate(-Math.PI / 2);
  g.fillText(options.yLabel, 0, 0);
  g.restore();
  if (pts.length === 0) return;
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => fy(p[1]))), Math.max(...pts.map((p) => fy(p[1])))];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const X = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const Y = (y: number) => height - pad.bottom - ((fy(y) - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  g.strokeStyle = '#ccc';
  g.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  const tick = (v: number) => (options.logY ? (10 ** v).toPrecision(2) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  g.fillText(tick(y1), 2, pad.top + 8);
  g.fillText(tick(y0), 2, height - pad.bottom);
  g.fillText(String(+x0.toPrecision(4)), pad.left, height - pad.bottom + 12);
  g.fillText(String(+x1.toPrecision(4)), width - pad.right - 30, height - pad.bottom + 12);
  let legendX = pad.left + 8;
  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = 1.5;
    g.setLineDash(s.dashed ? [4, 3] : []);
    g.beginPath();
    let first = true;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(fy(y))) continue;
      if (first) g.moveTo(X(x), Y(y));
      else g.lineTo(X(x), Y(y));
      first = false;
    }
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = s.color;
    g.fillText(s.label, legendX, pad.top + 14);
    legendX += g.measureText(s.label).width + 14;
  }
}
