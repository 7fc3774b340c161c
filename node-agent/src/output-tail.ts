/** Keeps the last characters of a run's readable output (not raw callback JSON). */
export class OutputTail {
  private text = '';

  // Keeps twice the limit so a secret cut at the buffer's start is far from the part sent.
  constructor(private readonly limit: number = 8000) {}

  line(line: string): void {
    this.text += `${line}\n`;
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit * 2);
  }

  /** The tail after scrubbing, at most `limit` characters, or null when nothing was printed. */
  value(scrub: (text: string) => string = (t) => t): string | null {
    const out = scrub(this.text).slice(-this.limit);
    return out.length > 0 ? out : null;
  }
}
