/// Changes the per-sample shape, keeping the batch dimension: [N, ...] -> [N, shape...].
///
/// `Reshape(to: [C * H * W])` is PyTorch's `Flatten()`; `Reshape(to: [C, H, W])` is its inverse.
/// The values are copied once into the layer's own buffer (tensors own their storage, so there are
/// no views that could dangle; the copy is small next to any GEMM).
public final class Reshape: Layer {
  public let sampleShape: [Int]
  private var inputShape: [Int] = []
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  private var batch = -1

  public init(to sampleShape: [Int]) { self.sampleShape = sampleShape }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rowSize == sampleShape.reduce(1, *), "Reshape to \(sampleShape) got \(x.shape)")
    if x.batch != batch || x.shape != inputShape {
      batch = x.batch
      inputShape = x.shape
      output.resize([batch] + sampleShape)
    }
    output.data.update(from: x.data, count: x.count)
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(inputShape)
    dInput.data.update(from: dOutput.data, count: dOutput.count)
    return dInput
  }
}

/// [N, ...] -> [N, prod(...)], PyTorch's `nn.Flatten()`.
public func Flatten(_ sampleShape: [Int]) -> Reshape { Reshape(to: [sampleShape.reduce(1, *)]) }
