import ConvKernels

/// The window of a 2-D convolution sliding over one [C, H, W] image: kernel, stride and zero padding
/// per axis, and the output size they give.
///
/// Conv2d uses it for its input; ConvTranspose2d uses it for its *output*, because a transposed
/// convolution is the input-gradient path of the convolution that maps its output back to its input.
public struct ConvGeometry: Equatable, Sendable {
  public let channels: Int
  public let height: Int
  public let width: Int
  public let kernelH: Int
  public let kernelW: Int
  public let strideH: Int
  public let strideW: Int
  public let padH: Int
  public let padW: Int

  public init(
    channels: Int, height: Int, width: Int,
    kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
  ) {
    precondition(channels > 0 && height > 0 && width > 0, "bad image size \([channels, height, width])")
    precondition(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "kernel and stride must be positive")
    precondition(padH >= 0 && padW >= 0, "padding must be non-negative")
    self.channels = channels
    self.height = height
    self.width = width
    self.kernelH = kernelH
    self.kernelW = kernelW
    self.strideH = strideH
    self.strideW = strideW
    self.padH = padH
    self.padW = padW
    precondition(
      height + 2 * padH >= kernelH && width + 2 * padW >= kernelW,
      "kernel \(kernelH)x\(kernelW) larger than the padded image \(height)x\(width) (padding \(padH), \(padW))")
  }

  /// A square kernel with the same stride and padding on both axes.
  public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
    self.init(
      channels: channels, height: height, width: width,
      kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride, padH: padding, padW: padding)
  }

  /// OH = (H + 2P - K) / S + 1.
  public var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
  /// OW = (W + 2P - K) / S + 1.
  public var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
  /// Rows of the column matrix: C * KH * KW, ordered (c, ki, kj) like a Conv2d weight's last three axes.
  public var patchSize: Int { channels * kernelH * kernelW }
  /// Columns of the column matrix: OH * OW window positions.
  public var positions: Int { outHeight * outWidth }
  /// Elements of the image: C * H * W.
  public var imageSize: Int { channels * height * width }

  /// The output positions `o` in 0..<outCount whose input coordinate o*S - P + k falls inside 0..<size.
  @inline(__always)
  static func validRange(offset k: Int, pad: Int, stride: Int, size: Int, outCount: Int) -> Range<Int> {
    // o*S >= P - k  and  o*S <= size - 1 + P - k
    let lo = max(0, ceilDiv(pad - k, stride))
    let hi = min(outCount, floorDiv(size - 1 + pad - k, stride) + 1)
    return lo..<max(lo, hi)
  }
}

@inline(__always) private func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
@inline(__always) private func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
