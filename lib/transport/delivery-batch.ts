/**
 * When a reader called back by a {@link RecvBuffer} runs: never inside the call that handed it
 * its message or ended its stream. The readers served by one socket chunk run together in one
 * microtask, after the chunk's frames were all handled: no user code in the middle of decoding,
 * no stream torn down under the dispatch loop. That microtask is queued where the chunk's first
 * delivery was, so promise reactions the chunk settled run in the order they did when reads
 * were promises (a stream's `header()` before its first message, `trailer()` after its last).
 * Outside a chunk (a local cancel, a timer), a delivery runs in a microtask of its own.
 *
 * Why not a promise per read: on Node 20 every promise pays the async_hooks cost of any active
 * AsyncLocalStorage (an OpenTelemetry SDK registers one), and a waiting read made two per
 * message on each side of a bidi echo.
 * @internal not covered by semver
 */
type Delivery = () => void;

/** One chunk's deliveries, drained in one microtask queued with the first of them. */
class Batch {
  readonly deliveries: Delivery[] = [];
  scheduled = false;
}

/** The batch deliveries join: open while a chunk is dispatched and while its batch drains. */
let open: Batch | undefined;

/** Runs `dispatch(input)`; every delivery it queues runs, in order, in one microtask. */
export function inDeliveryBatch<T>(dispatch: (input: T) => void, input: T): void {
  if (open !== undefined) {
    dispatch(input);
    return;
  }
  open = new Batch();
  try {
    dispatch(input);
  } finally {
    open = undefined;
  }
}

/** Queues `delivery` in the current batch, or in a microtask outside one. */
export function deliverLater(delivery: Delivery): void {
  const batch = open;
  if (batch === undefined) {
    queueMicrotask(delivery);
    return;
  }
  batch.deliveries.push(delivery);
  if (batch.scheduled) return;
  // Queued with the first delivery, not at the end of the chunk: a promise the chunk settles
  // after this message (the stream's `trailer()`) still reacts after it, as it did.
  batch.scheduled = true;
  queueMicrotask(() => {
    drain(batch);
  });
}

function drain(batch: Batch): void {
  const outer = open;
  // Open while it drains: what a reader's delivery causes (its next read) joins its end.
  open = batch;
  try {
    const { deliveries } = batch;
    for (let index = 0; index < deliveries.length; index++) {
      runDelivery(deliveries[index] as Delivery);
    }
  } finally {
    open = outer;
  }
}

function runDelivery(delivery: Delivery): void {
  try {
    delivery();
  } catch (error) {
    // A reader's bug must not cost the chunk's other readers their messages: thrown on its own.
    queueMicrotask(() => {
      throw error;
    });
  }
}
