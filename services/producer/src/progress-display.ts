import cliProgress from "cli-progress";

import type { Logger } from "@kafka-fleet/service";

import { progressReport, type ProgressSnapshot } from "./progress.ts";

export interface ProgressDisplay {
  update(snapshot: ProgressSnapshot): void;
  stop(snapshot: ProgressSnapshot): void;
}

/**
 * A progress bar on a terminal (on stderr, so stdout stays JSON logs), and periodic `producer.progress` log
 * events everywhere else. Both show sent, acknowledged, rate and ETA.
 */
export function createProgressDisplay(options: {
  logger: Logger;
  intervalMs: number;
  total: number | undefined;
}): ProgressDisplay {
  const { logger, intervalMs, total } = options;
  if (process.stderr.isTTY === true && total !== undefined) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format:
          "producing |{bar}| {percentage}% | {value}/{total} acknowledged | {rate} msg/s | ETA {eta_formatted}",
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0 });
    return {
      update: (snapshot) =>
        bar.update(snapshot.acknowledged, { rate: progressReport(snapshot).ratePerSecond }),
      stop: (snapshot) => {
        bar.update(snapshot.acknowledged, { rate: progressReport(snapshot).ratePerSecond });
        bar.stop();
      },
    };
  }
  let lastLog = 0;
  return {
    update(snapshot) {
      if (snapshot.elapsedMs - lastLog < intervalMs) return;
      lastLog = snapshot.elapsedMs;
      logger.info({ event: "producer.progress", ...progressReport(snapshot) });
    },
    stop(snapshot) {
      logger.info({ event: "producer.progress", ...progressReport(snapshot) });
    },
  };
}
