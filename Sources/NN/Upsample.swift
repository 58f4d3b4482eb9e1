/// Nearest-neighbour upsampling by an integer factor: [N, C, H, W] -> [N, C, H * F, W * F], PyTorch's
/// `nn.Upsample(scale_factor=F, mode="nearest")`.
///
/// y[n, c, i, j] = x[n, c, i / F, j / F]; backward sums each F x F block of dY onto the pixel it copied. The
/// UNet's decoder uses it to climb back to the frame's size before a convolution mixes the copies; the work
/// is a copy per output element, so it runs on the calling thread and gives the same bits at every
/// thread count.
public final class Upsample: Layer {
  public let factor: Int
  private var inputShape: [Int] = []
  private let output = Tensor([0])  // [N, C, H * F, W * F]
  private let dInput = Tensor([0])  // [N, C, H, W]

  public init(factor: Int = 2) {
    precondition(factor >= 1, "Upsample factor \(factor) must be at least 1")
    self.factor = factor
  }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.shape.count == 4, "Upsample expects [N, C, H, W], got \(x.shape)")
    inputShape = x.shape
    let (h, w, f) = (x.shape[2], x.shape[3], factor)
    output.resize(x.shape[0], x.shape[1], h * f, w * f)
    let planes = x.shape[0] * x.shape[1], ow = w * f
    for p in 0..<planes {
      let src = x.data + p * h * w, dst = output.data + p * h * w * f * f
      for i in 0..<h {
        let row = dst + i * f * ow
        for j in 0..<w { (row + j * f).update(repeating: src[i * w + j], count: f) }
        for copy in 1..<f { (row + copy * ow).update(from: row, count: ow) }
      }
    }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    precondition(dOutput.shape == output.shape, "Upsample.backward got \(dOutput.shape), expected \(output.shape)")
    dInput.resize(inputShape)
    let (h, w, f) = (inputShape[2], inputShape[3], factor)
    let planes = inputShape[0] * inputShape[1], ow = w * f
    for p in 0..<planes {
      let src = dOutput.data + p * h * w * f * f, dst = dInput.data + p * h * w
      for i in 0..<h {
        for j in 0..<w {
          var sum: Float = 0
          for a in 0..<f {
            let row = src + (i * f + a) * ow + j * f
            for b in 0..<f { sum += row[b] }
          }
          dst[i * w + j] = sum
        }
      }
    }
    return dInput
  }
}
