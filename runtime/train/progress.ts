// Training progress on a terminal: a live one-line bar when the stream is a TTY, plain lines every N steps otherwise.
export interface ProgressOptions {
  readonly write: (text: string) => void;
  readonly tty: boolean;
  /** Terminal width (TTY only). */
  readonly columns?: number;
  readonly label: string;
  readonly total: number;
  readonly metricName: string;
  /** Plain mode: a line every this many steps (default: about 20 lines per run). */
  readonly every?: number;
}

export interface ProgressUpdate {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly stepsPerSecond: number;
  /** The latest validation metric, already formatted. */
  readonly metric?: string;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

export class Progress {
  private lastDraw = 0;
  private smooth: number | undefined;
  private drawn = false;

  constructor(private readonly o: ProgressOptions) {}

  /** One status line; with a width (TTY), a bar of 10-40 columns and never longer than the terminal. */
  private text(u: ProgressUpdate, width?: number): string {
    const eta = (this.o.total - u.step) / u.stepsPerSecond;
    const stats = [
      `step ${u.step}/${this.o.total}`,
      `epoch ${u.epoch + 1}`,
      `loss ${this.smooth!.toFixed(4)}`,
      ...(u.metric ? [`${this.o.metricName} ${u.metric}`] : []),
      `${u.stepsPerSecond.toFixed(1)} steps/s`,
      `ETA ${formatDuration(eta)}`,
    ].join('  ');
    const head = `${this.o.label} `;
    if (width === undefined) return `${head}${stats}`;
    const room = Math.max(10, Math.min(40, width - head.length - stats.length - 4));
    const filled = Math.min(room, Math.round((room * u.step) / this.o.total));
    const bar = `[${'='.repeat(filled)}${filled < room ? '>' : ''}${' '.repeat(Math.max(0, room - filled - 1))}]`;
    // A line longer than the terminal wraps, and '\r' would then redraw only its last part.
    return `${head}${bar} ${stats}`.slice(0, Math.max(20, width - 1));
  }

  update(u: ProgressUpdate): void {
    this.smooth = this.smooth === undefined ? u.loss : 0.95 * this.smooth + 0.05 * u.loss;
    if (this.o.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && u.step < this.o.total) return;
      this.lastDraw = now;
      this.o.write(`\r\x1b[K${this.text(u, this.o.columns || 100)}`);
      this.drawn = true;
      return;
    }
    const every = this.o.every ?? Math.max(1, Math.round(this.o.total / 20));
    if (u.step % every === 0 || u.step === this.o.total) this.o.write(`${this.text(u)}\n`);
  }

  /** A message on its own line (the live bar is redrawn on the next update). */
  line(text: string): void {
    if (this.o.tty && this.drawn) this.o.write('\r\x1b[K');
    this.drawn = false;
    this.o.write(`${text}\n`);
  }

  done(): void {
    if (this.o.tty && this.drawn) this.o.write('\n');
    this.drawn = false;
  }
}
