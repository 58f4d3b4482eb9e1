import Foundation
import Synchronization

/// Persistent threads that run the pieces of `BatchShards.run` beside the calling thread.
///
/// `DispatchQueue.concurrentPerform` would do the same, but it allocates on every call (it boxes the closure
/// for the C API), and a training step makes dozens of such calls. `body` is an escaping closure that callers
/// make once and keep: a non-escaping one would have to go through `withoutActuallyEscaping`, which allocates.
///
/// A worker spins for a while after each call before it sleeps on a condition variable: the MLP workload
/// makes 5 calls per 0.3 ms step, and waking a sleeping thread takes 5-50 us, so sleeping between them
/// would cost more than the work they split. In a longer pause the workers sleep.
final class ShardWorkers: @unchecked Sendable {
  /// The one set of workers, grown on demand.
  static let shared = ShardWorkers()

  /// How long an idle worker polls for a new call before it sleeps: longer than the gaps inside a training
  /// step (a few microseconds), short enough not to hold a core that other work needs.
  private static let spinNanoseconds: UInt64 = 100_000

  private let call = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)  // held for a whole `run`
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)  // guards `sleepers`
  private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)  // a new call has started
  private var sleepers = 0  // workers waiting on `wake`
  private var workers = 0  // threads started so far (changed only under `call`)
  // Written by the caller before it publishes a generation, read by the workers after they see it:
  private var job: ((Int, Int) -> Void)?  // the current call's body
  private var pieces = 0  // the current call's piece count
  private var threads = 0  // the current call's thread count: workers 1..<threads take part
  private let generation = Atomic<Int>(0)  // calls started so far; a worker runs each generation once
  private let nextPiece = Atomic<Int>(0)  // the next piece nobody has taken
  private let busy = Atomic<Int>(0)  // threads (the caller included) not yet done with the current call

  /// The calling thread's place in a call: 1, 2, ... on a worker, 0 on any other thread (the caller).
  static var slot: Int { Int(bitPattern: pthread_getspecific(slotKey)) }
  private static let slotKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  private init() {
    pthread_mutex_init(call, nil)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
  }

  /// Runs `body(i, pieces)` for every i in 0..<pieces on the calling thread and workers 1..<threads (started on
  /// first need), each thread taking the next piece not yet taken; returns when all are done. `body` must not
  /// call `run` itself; it may read `slot` to find its thread's buffers.
  func run(_ pieces: Int, threads: Int, _ body: @escaping (Int, Int) -> Void) {
    // One call at a time: callers on different threads (parallel tests) wait for each other.
    pthread_mutex_lock(call)
    defer { pthread_mutex_unlock(call) }
    while workers < threads - 1 {
      workers += 1
      // The new thread joins from the next call on, however late it starts running.
      let seen = generation.load(ordering: .acquiring), slot = workers
      let thread = Thread { [unowned self] in self.serve(after: seen, slot: slot) }
      thread.start()
    }
    job = body
    self.pieces = pieces
    self.threads = threads
    nextPiece.store(0, ordering: .relaxed)
    busy.store(workers + 1, ordering: .relaxed)
    generation.add(1, ordering: .releasing)
    pthread_mutex_lock(mutex)
    if sleepers > 0 { pthread_cond_broadcast(wake) }
    pthread_mutex_unlock(mutex)
    takePieces(body)
    var polls = 0
    while busy.load(ordering: .acquiring) > 0 {
      polls += 1
      // A worker that lost its core finishes sooner if this thread gives it back.
      if polls % 1024 == 0 { sched_yield() }
    }
    job = nil
  }

  /// A worker's loop: wait for a call after generation `seen` (spinning, then sleeping), take pieces when the
  /// call has `slot` among its threads, report done.
  private func serve(after seen: Int, slot: Int) {
    pthread_setspecific(Self.slotKey, UnsafeRawPointer(bitPattern: slot))
    var seen = seen
    while true {
      let start = DispatchTime.now().uptimeNanoseconds
      var polls = 0
      while generation.load(ordering: .acquiring) == seen {
        polls += 1
        if polls % 64 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { break }
      }
      if generation.load(ordering: .acquiring) == seen {
        pthread_mutex_lock(mutex)
        sleepers += 1
        while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
        sleepers -= 1
        pthread_mutex_unlock(mutex)
      }
      seen = generation.load(ordering: .acquiring)
      if let body = job, slot < threads { takePieces(body) } else { busy.subtract(1, ordering: .releasing) }
    }
  }

  /// Runs pieces until none is left, then counts this thread done.
  private func takePieces(_ body: (Int, Int) -> Void) {
    while true {
      let piece = nextPiece.add(1, ordering: .relaxed).oldValue
      guard piece < pieces else { break }
      body(piece, pieces)
    }
    busy.subtract(1, ordering: .releasing)
  }
}
