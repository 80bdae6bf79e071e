// Ctrl+C for long commands: the first signal asks the work to stop cleanly (the returned
// controller aborts), a second exits at once with 130.
//
// One listener per signal stays installed for the life of the process. With `process.once`
// re-armed inside the first handler, the signal briefly had no listener, and Node then puts
// back the default action (terminate): a second Ctrl+C landing in that gap — a process
// descheduled on a loaded machine makes it wide — killed the process by the signal, skipping
// its exit handlers (the run lock's release among them).
export function interruptible(signals: readonly NodeJS.Signals[]): AbortController {
  const ctrl = new AbortController();
  const onSignal = () => {
    if (ctrl.signal.aborted) process.exit(130);
    ctrl.abort();
  };
  for (const sig of signals) process.on(sig, onSignal);
  return ctrl;
}
