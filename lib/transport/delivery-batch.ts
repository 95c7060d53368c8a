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

/**
 * The deliveries of the chunk being dispatched, or of the batch draining: a delivery queued now
 * joins them. Its drain is queued with its first delivery.
 */
let open: Delivery[] | undefined;

/** Runs `dispatch(input)`; every delivery it queues runs, in order, in one microtask. */
export function inDeliveryBatch<T>(dispatch: (input: T) => void, input: T): void {
  if (open !== undefined) {
    dispatch(input);
    return;
  }
  open = [];
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
  // Queued with the first delivery, not at the end of the chunk: a promise the chunk settles
  // after this message (the stream's `trailer()`) still reacts after it, as it did. A batch
  // that drains already has its first delivery, so what joins it runs in that drain.
  if (batch.push(delivery) === 1) {
    queueMicrotask(() => {
      drain(batch);
    });
  }
}

function drain(batch: Delivery[]): void {
  const outer = open;
  // Open while it drains: what a reader's delivery causes (its next read) joins its end.
  open = batch;
  try {
    for (let index = 0; index < batch.length; index++) runDelivery(batch[index] as Delivery);
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
