import Foundation

/// Persistent threads that run the pieces of `BatchShards.run` and `Adam.update` beside the calling thread.
///
/// `DispatchQueue.concurrentPerform` would do the same, but it allocates on every call (it boxes the closure
/// for the C API), and a training step makes dozens of such calls; these threads sleep on a condition
/// variable between calls. `body` is an escaping closure that callers make once and keep: a non-escaping
/// one would have to go through `withoutActuallyEscaping`, which allocates too.
final class ShardWorkers: @unchecked Sendable {
  /// The one set of workers, grown on demand.
  static let shared = ShardWorkers()

  private let call = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)  // held for a whole `run`
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)  // a new call has started
  private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)  // every thread is done
  // Guarded by `mutex`:
  private var workers = 0  // threads started so far
  private var generation = 0  // calls started so far; a worker runs each generation once
  private var job: ((Int) -> Void)?  // the current call's body, nil between calls
  private var pieces = 0  // the current call's piece count
  private var nextPiece = 0  // the next piece nobody has taken
  private var busy = 0  // threads (the caller included) not yet done with the current call

  private init() {
    pthread_mutex_init(call, nil)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
    pthread_cond_init(finished, nil)
  }

  /// Runs `body(i)` for every i in 0..<pieces on the calling thread and the workers (at least `threads - 1`,
  /// started on first need), each thread taking the next piece not yet taken; returns when all are done.
  /// `body` must not call `run` itself.
  func run(_ pieces: Int, threads: Int, _ body: @escaping (Int) -> Void) {
    // One call at a time: callers on different threads (parallel tests) wait for each other.
    pthread_mutex_lock(call)
    defer { pthread_mutex_unlock(call) }
    pthread_mutex_lock(mutex)
    while workers < threads - 1 {
      workers += 1
      // The new thread joins from this call on, however late it starts running.
      let seen = generation
      let thread = Thread { [unowned self] in self.serve(after: seen) }
      thread.start()
    }
    job = body
    self.pieces = pieces
    nextPiece = 0
    busy = workers + 1
    generation += 1
    pthread_cond_broadcast(wake)
    takePieces()
    while busy > 0 { pthread_cond_wait(finished, mutex) }
    job = nil
    pthread_mutex_unlock(mutex)
  }

  /// A worker's loop: wait for a call after generation `seen`, take pieces, report done.
  private func serve(after seen: Int) {
    var seen = seen
    pthread_mutex_lock(mutex)
    while true {
      while generation == seen { pthread_cond_wait(wake, mutex) }
      seen = generation
      takePieces()
    }
  }

  /// Runs pieces until none is left, then counts this thread done (called and returning with `mutex` held).
  private func takePieces() {
    while nextPiece < pieces, let body = job {
      let piece = nextPiece
      nextPiece += 1
      pthread_mutex_unlock(mutex)
      body(piece)
      pthread_mutex_lock(mutex)
    }
    busy -= 1
    if busy == 0 { pthread_cond_signal(finished) }
  }
}
