/**
 * Waits until the clock is in a later second than the one it is in now: what a name or a record stamped to the
 * second needs between two runs. Read from the clock, not slept for a fixed 1.1 s (0.5 s on average instead); a timer
 * may fire early by what the event loop's cached time lags, so the clock is asked again after each.
 */
export async function intoNextSecond(): Promise<void> {
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
}
