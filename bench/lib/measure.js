'use strict'
/** Driving a workload with N calls in flight, and summarising latencies. */

const { performance } = require('node:perf_hooks')

/** Resolves in the next turn of the event loop (after I/O callbacks, as a new request would). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Runs `task(i, clock)` for i in [0, tasks) with `concurrency` tasks in flight (1 =
 * sequential). With `perTurn`, each lane waits for the next event-loop turn (`setImmediate`)
 * before each task, as a server's requests each arrive in a turn of their own: calls then never
 * share a turn (nor anything an adapter keeps only for the rest of a turn). The wait is outside
 * the timed call, but inside the wall time, as it would be for a server. A task times each adapter call itself: `const t = clock.now(); await call();
 * clock.record(t)`, so a sample is one call (or one unit the task chooses, like a token pair),
 * from the moment it was made to the moment its Promise settled, waiting included.
 *
 * @returns {{ samples: Float64Array, seconds: number }} latencies in ms, and wall time
 */
async function drive({ tasks, concurrency, samplesPerTask, perTurn = false }, task) {
  const samples = new Float64Array(tasks * samplesPerTask)
  let recorded = 0
  const clock = {
    now: () => performance.now(),
    record(start) {
      samples[recorded++] = performance.now() - start
    },
  }
  let next = 0
  async function lane() {
    while (next < tasks) {
      if (perTurn) await nextTurn()
      await task(next++, clock)
    }
  }
  const started = performance.now()
  const lanes = []
  for (let l = 0; l < Math.min(concurrency, tasks); l++) lanes.push(lane())
  await Promise.all(lanes)
  const seconds = (performance.now() - started) / 1000
  return { samples: samples.subarray(0, recorded), seconds }
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
function quantile(sorted, q) {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]
}

/** Throughput and latency summary of one driven workload (latencies in microseconds). */
function summarise({ samples, seconds }) {
  const sorted = Float64Array.from(samples).sort()
  return {
    ops: samples.length,
    seconds,
    opsPerSec: samples.length / seconds,
    p50Us: quantile(sorted, 0.5) * 1000,
    p99Us: quantile(sorted, 0.99) * 1000,
  }
}

/** Median of numbers (ignoring NaN). */
function median(values) {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

module.exports = { drive, nextTurn, summarise, quantile, median }
