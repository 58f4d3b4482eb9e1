import Core
import NN
import Testing

@Test func smallMLPLearnsXOR() {
  var rng = RNG(seed: 1)
  let net = Sequential([
    ("fc1", Linear(2, 16, rng: &rng)), ("act", Tanh()), ("fc2", Linear(16, 1, rng: &rng)),
  ])
  let x = Tensor(shape: [4, 2], values: [0, 0, 0, 1, 1, 0, 1, 1])
  let y = Tensor(shape: [4, 1], values: [0, 1, 1, 0])
  let adam = Adam(net.parameters, learningRate: 0.05)
  let mse = MSELoss()
  var loss: Float = 1
  for _ in 0..<500 {
    adam.zeroGrad()
    loss = mse.forward(net.forward(x), y)
    _ = net.backward(mse.backward())
    adam.update()
  }
  #expect(loss < 1e-3)
  let out = net.forward(x).array
  #expect(out[0] < 0.2 && out[1] > 0.8 && out[2] > 0.8 && out[3] < 0.2)
}

@Test func sequentialNamesParametersByChild() {
  var rng = RNG(seed: 0)
  let net = Sequential([
    ("fc1", Linear(2, 3, rng: &rng)), ("act", ReLU()),
    ("head", Sequential([("out", Linear(3, 1, bias: false, rng: &rng))])),
  ])
  #expect(net.namedParameters(prefix: "idm.").map(\.name) == ["idm.fc1.weight", "idm.fc1.bias", "idm.head.out.weight"])
  #expect(net.parameters.map(\.value.shape) == [[3, 2], [3], [1, 3]])
}
