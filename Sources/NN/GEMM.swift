import CBLAS
import Foundation

/// Single-precision matrix multiply over OpenBLAS, row-major:
/// C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C.
///
/// `lda`, `ldb`, `ldc` default to the packed row lengths of the stored (untransposed) matrices.
@inline(__always)
public func gemm(
  transA: Bool = false, transB: Bool = false,
  m: Int, n: Int, k: Int,
  alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int? = nil,
  b: UnsafePointer<Float>, ldb: Int? = nil,
  beta: Float = 0,
  c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
  if m == 0 || n == 0 { return }
  // OpenBLAS splits any GEMM above about 262,144 multiply-adds between its threads. Below a few million,
  // waking the second thread costs more than it saves; and every split call mallocs OpenBLAS's job list.
  // So GEMMs below 2^27 multiply-adds (every GEMM of both benchmark workloads; the largest, the IDM's
  // 2048 -> 256 layer at batch 128, is 2^26) run on the calling thread, and a step allocates nothing.
  // OpenBLAS's thread count is process-wide: it is 1 except during such a large GEMM.
  BLASThreads.pinOpenBLAS()
  let threaded = BLASThreads.count > 1 && !BLASThreads.sharded && m * n * k >= BLASThreads.smallGEMM
  if threaded { openblas_set_num_threads(Int32(BLASThreads.count)) }
  defer { if threaded { openblas_set_num_threads(1) } }
  cblas_sgemm(
    CblasRowMajor,
    transA ? CblasTrans : CblasNoTrans,
    transB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k),
    alpha,
    a, Int32(lda ?? (transA ? m : k)),
    b, Int32(ldb ?? (transB ? k : n)),
    beta,
    c, Int32(ldc ?? n))
}

/// The thread count for each GEMM and for the split of layers between threads (`BatchShards`).
///
/// The count belongs to the thread that sets it: a layer splits its work when the thread that calls it has
/// set a count above 1. So code running on different threads at once (tests in parallel, the linear lab's
/// batch) cannot change each other's split, which changes how `Linear` rounds. OpenBLAS's own setting is
/// process-wide, and OpenBLAS rounds a GEMM differently when it splits it between threads, so it stays at
/// 1 except for the duration of a GEMM of 2^27 multiply-adds or more on a thread whose count is above 1.
public enum BLASThreads {
  /// The count last set on this thread (1 until `set` is called on it).
  public static var count: Int { max(1, Int(bitPattern: pthread_getspecific(countKey))) }

  public static func set(_ count: Int) {
    pthread_setspecific(countKey, UnsafeRawPointer(bitPattern: max(1, count)))
  }

  /// Sets OpenBLAS to one thread, once per process (it starts with one per core). Every entry into OpenBLAS
  /// (GEMM, LAPACK) calls it first.
  static func pinOpenBLAS() { _ = pinned }
  private static let pinned: Void = openblas_set_num_threads(1)

  /// True on a thread while its `BatchShards.run` runs pieces on separate threads: a large GEMM in a piece
  /// must not raise OpenBLAS's process-wide count while the other piece's GEMMs run.
  static var sharded: Bool {
    get { pthread_getspecific(shardedKey) != nil }
    set { pthread_setspecific(shardedKey, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
  }

  private static let countKey = makeKey()
  private static let shardedKey = makeKey()
  private static func makeKey() -> pthread_key_t {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }

  /// Multiply-adds below which a GEMM runs on one thread.
  static let smallGEMM = 1 << 27
}
