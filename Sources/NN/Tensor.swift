/// A shape plus contiguous Float32 storage, row-major (NCHW for images, [batch, features] for vectors).
///
/// A reference type on purpose: layers own their output and gradient tensors and hand out
/// references, so nothing is copied on the hot path. `resize` reuses the storage when it is large
/// enough, so a training loop allocates only while shapes still grow.
public final class Tensor {
  public private(set) var shape: [Int]
  public private(set) var count: Int
  public private(set) var capacity: Int
  public private(set) var data: UnsafeMutablePointer<Float>

  /// A zero-filled tensor.
  public init(_ shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
    self.shape = shape
    count = shape.reduce(1, *)
    capacity = max(count, 1)
    data = .allocate(capacity: capacity)
    data.initialize(repeating: 0, count: capacity)
  }

  /// A tensor holding `values` (row-major) with the given shape.
  public convenience init(shape: [Int], values: [Float]) {
    self.init(shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
  }

  deinit { data.deallocate() }

  /// Changes the shape; allocates only if the new element count exceeds the capacity. The contents
  /// are unspecified afterwards unless the count is unchanged (then it is a reshape).
  public func resize(_ newShape: [Int]) {
    if newShape == shape { return }
    let newCount = newShape.reduce(1, *)
    if newCount > capacity {
      data.deallocate()
      capacity = newCount
      data = .allocate(capacity: capacity)
      data.initialize(repeating: 0, count: capacity)
    }
    shape = newShape
    count = newCount
  }

  /// `resize([d0])` without building an array when the shape is unchanged (hot paths).
  public func resize(_ d0: Int) {
    if shape.count == 1 && shape[0] == d0 { return }
    resize([d0])
  }

  /// `resize([d0, d1])` without building an array when the shape is unchanged (hot paths).
  public func resize(_ d0: Int, _ d1: Int) {
    if shape.count == 2 && shape[0] == d0 && shape[1] == d1 { return }
    resize([d0, d1])
  }

  /// `resize([d0, d1, d2, d3])` without building an array when the shape is unchanged (hot paths).
  public func resize(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int) {
    if shape.count == 4 && shape[0] == d0 && shape[1] == d1 && shape[2] == d2 && shape[3] == d3 { return }
    resize([d0, d1, d2, d3])
  }

  /// Makes this a flat buffer of at least `count` elements, keeping a larger one as it is: the working
  /// buffers shared by calls of different sizes, which must not reallocate when the size alternates.
  public func reserve(_ count: Int) {
    if shape.count == 1 && self.count >= count { return }
    resize([max(count, shape.count == 1 ? self.count : 0)])
  }

  /// Sets every element to zero.
  public func zero() { data.update(repeating: 0, count: count) }

  /// Sets every element to `value`.
  public func fill(_ value: Float) { data.update(repeating: value, count: count) }

  /// Copies `other`'s shape and values into this tensor.
  public func copy(from other: Tensor) {
    resize(other.shape)
    data.update(from: other.data, count: count)
  }

  /// A new tensor with the same shape and values.
  public func clone() -> Tensor {
    let t = Tensor(shape)
    t.data.update(from: data, count: count)
    return t
  }

  public subscript(i: Int) -> Float {
    get { data[i] }
    set { data[i] = newValue }
  }

  /// The elements as an array (a copy; for tests, files and reports, not hot paths).
  public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

  public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

  /// The leading dimension (the batch, for activations).
  public var batch: Int { shape.first ?? 1 }

  /// Elements per leading index: count / shape[0].
  public var rowSize: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let shown = array.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(\(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
  }
}
