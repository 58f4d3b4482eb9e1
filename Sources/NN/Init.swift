import Core

/// PyTorch's default initialization for Linear, Conv2d and ConvTranspose2d.
///
/// PyTorch calls `kaiming_uniform_(weight, a=sqrt(5))`, whose bound is
/// gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), so the bound is 1/sqrt(fan_in);
/// the bias is uniform in +-1/sqrt(fan_in) too. fan_in is weight.size(1) * kh * kw: `in` for Linear and
/// Conv2d, but `out` for ConvTranspose2d, whose weight is [in, out, kh, kw]. Values are drawn in storage
/// order from `rng`, weight first, then bias.
public func initPyTorchDefault(weight: Tensor, bias: Tensor?, fanIn: Int, rng: inout RNG) {
  let bound = 1 / Float(fanIn).squareRoot()
  for i in 0..<weight.count { weight[i] = rng.uniform(-bound, bound) }
  if let bias {
    for i in 0..<bias.count { bias[i] = rng.uniform(-bound, bound) }
  }
}
