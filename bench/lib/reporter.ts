/**
 * Progress on stderr while the benchmark runs: one line rewritten in place on a terminal, a line every few
 * seconds elsewhere (CI logs), and a permanent line per finished step.
 */
export class Reporter {
  readonly #tty = process.stderr.isTTY === true;
  readonly #started = Date.now();
  #lastPlain = 0;

  step(text: string): void {
    this.#write(`${this.#clock()} ${text}`, true);
  }

  progress(what: string, done: number | undefined, total: number): void {
    const share = done === undefined ? "" : ` ${Math.min(100, Math.round((done * 100) / total))}%`;
    const text = `${this.#clock()}   ${what}${share}${done === undefined ? "" : ` (${done}/${total})`}`;
    if (this.#tty) this.#write(text, false);
    else if (Date.now() - this.#lastPlain > 5_000) {
      this.#lastPlain = Date.now();
      this.#write(text, true);
    }
  }

  #clock(): string {
    const seconds = Math.round((Date.now() - this.#started) / 1000);
    return `[${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}]`;
  }

  #write(text: string, permanent: boolean): void {
    if (this.#tty) process.stderr.write(`\r\u001b[2K${text}${permanent ? "\n" : ""}`);
    else process.stderr.write(`${text}\n`);
  }
}
