import { Presets, SingleBar } from "cli-progress";

/** A progress bar on stderr for the apply step; only started when stderr is a terminal and output is not JSON. */
export interface Progress {
  start(total: number): void;
  update(done: number, total: number): void;
  stop(): void;
}

export function startProgress(): Progress {
  const bar = new SingleBar(
    { format: "applying [{bar}] {value}/{total} operations", stream: process.stderr, clearOnComplete: true },
    Presets.legacy,
  );
  let started = false;
  return {
    start: (total) => {
      if (total === 0) return;
      bar.start(total, 0);
      started = true;
    },
    update: (done) => {
      if (started) bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
