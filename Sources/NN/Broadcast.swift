/// Copies a vector to every spatial position: [N, C] -> [N, C, H, W].
///
/// This is how the forward model injects the latent into its feature map (PyTorch:
/// `z[:, :, None, None].expand(-1, -1, H, W)`); backward sums the gradient over H and W.
public final class Broadcast: Layer {
  public let height: Int
  public let width: Int
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  private var batch = -1
  private var channels = -1

  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.shape.count == 2, "Broadcast expects [N, C], got \(x.shape)")
    if x.batch != batch || x.shape[1] != channels {
      batch = x.batch
      channels = x.shape[1]
      output.resize(batch, channels, height, width)
    }
    let plane = height * width
    for i in 0..<(batch * channels) {
      (output.data + i * plane).update(repeating: x.data[i], count: plane)
    }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(batch, channels)
    let plane = height * width
    for i in 0..<(batch * channels) {
      let src = dOutput.data + i * plane
      var sum: Float = 0
      for j in 0..<plane { sum += src[j] }
      dInput.data[i] = sum
    }
    return dInput
  }
}
