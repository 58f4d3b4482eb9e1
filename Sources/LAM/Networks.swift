import Core
import NN

// Builders for the IDM's and FDM's layer stacks. Names follow the PyTorch modules documented in
// docs/checkpoint-format.md, so a checkpoint loads with `load_state_dict`.

/// Linear layers with the activation between them: in -> hidden (x depth) -> out, children fc1, relu1 (named after the activation), fc2, ...
/// `dataInput`: the input is data, so fc1 computes no input gradient.
func mlp(_ inFeatures: Int, hidden: Int, depth: Int, out: Int, activation: ActivationKind, dataInput: Bool = false,
         rng: inout RNG) -> Sequential {
  var children: [(String, any Layer)] = []
  var width = inFeatures
  for i in 1...depth {
    let fc = Linear(width, hidden, rng: &rng)
    fc.inputNeedsGradient = i > 1 || !dataInput
    children.append(("fc\(i)", fc))
    children.append(("\(activation.rawValue)\(i)", activation.layer()))
    width = hidden
  }
  children.append(("fc\(depth + 1)", Linear(width, out, rng: &rng)))
  return Sequential(children)
}

/// Stride-2 convolutions (k4 s2 p1) with the activation, each halving H and W: children conv1, relu1, ...
/// Both encoders read frames, which need no gradient, so the first convolution computes none. A ReLU is
/// applied by the convolution as it writes its output (`Conv2d.appliesReLU`); the relu child passes it on.
func convEncoder(_ inChannels: Int, channels: [Int], activation: ActivationKind, rng: inout RNG) -> Sequential {
  var children: [(String, any Layer)] = []
  var c = inChannels
  for (i, out) in channels.enumerated() {
    let conv = Conv2d(c, out, kernel: 4, stride: 2, padding: 1, rng: &rng)
    conv.inputNeedsGradient = i > 0
    let act = activation.layer()
    (conv.appliesReLU, act.fusedIntoPreviousLayer) = (activation == .relu, activation == .relu)
    children.append(("conv\(i + 1)", conv))
    children.append(("\(activation.rawValue)\(i + 1)", act))
    c = out
  }
  return Sequential(children)
}

/// Stride-2 transposed convolutions (k4 s2 p1), each doubling H and W, the activation between them and
/// none after the last: inChannels -> channels reversed[1...] -> outChannels. Children deconv1, relu1, ...
/// (a ReLU applied by the transposed convolution before it, as in `convEncoder`).
func convDecoder(_ inChannels: Int, channels: [Int], outChannels: Int, activation: ActivationKind, rng: inout RNG) -> Sequential {
  let widths = Array(channels.reversed().dropFirst()) + [outChannels]
  var children: [(String, any Layer)] = []
  var c = inChannels
  for (i, out) in widths.enumerated() {
    let deconv = ConvTranspose2d(c, out, kernel: 4, stride: 2, padding: 1, rng: &rng)
    children.append(("deconv\(i + 1)", deconv))
    if i + 1 < widths.count {
      let act = activation.layer()
      (deconv.appliesReLU, act.fusedIntoPreviousLayer) = (activation == .relu, activation == .relu)
      children.append(("\(activation.rawValue)\(i + 1)", act))
    }
    c = out
  }
  return Sequential(children)
}

/// The convolution that enters level `level` of the unet architecture: a 3x3 stride-1 convolution with
/// padding 1 at the frame's size (level 0), a k4 s2 p1 convolution halving H and W below it.
func unetLevelConv(_ level: Int, _ inChannels: Int, _ outChannels: Int, rng: inout RNG) -> Conv2d {
  level == 0
    ? Conv2d(inChannels, outChannels, kernel: 3, stride: 1, padding: 1, rng: &rng)
    : Conv2d(inChannels, outChannels, kernel: 4, stride: 2, padding: 1, rng: &rng)
}

/// The unet architecture's encoder levels with the activation after each: children conv1, relu1, ...
/// It reads frames, which need no gradient, so the first convolution computes none.
func unetEncoder(_ inChannels: Int, widths: [Int], activation: ActivationKind, rng: inout RNG) -> [(String, any Layer)] {
  var children: [(String, any Layer)] = []
  var c = inChannels
  for (i, out) in widths.enumerated() {
    let conv = unetLevelConv(i, c, out, rng: &rng)
    conv.inputNeedsGradient = i > 0
    children.append(("conv\(i + 1)", conv))
    children.append(("\(activation.rawValue)\(i + 1)", activation.layer()))
    c = out
  }
  return children
}
