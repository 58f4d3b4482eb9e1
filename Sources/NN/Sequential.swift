/// Layers applied in order, each with a name used in parameter names ("conv1.weight").
public final class Sequential: Layer {
  public let children: [(name: String, layer: any Layer)]

  public init(_ children: [(String, any Layer)]) {
    self.children = children.map { (name: $0.0, layer: $0.1) }
    precondition(Set(self.children.map(\.name)).count == children.count, "duplicate child names in Sequential")
  }

  public func forward(_ x: Tensor) -> Tensor {
    var h = x
    for child in children {
      let input = h
      h = timed(child.name, .forward) { child.layer.forward(input) }
    }
    return h
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    var d = dOutput
    for child in children.reversed() {
      let dChild = d
      d = timed(child.name, .backward) { child.layer.backward(dChild) }
    }
    return d
  }

  /// Every parameter, named "<child>.<local name>" (nested Sequentials nest their names).
  public var parameters: [Parameter] { namedParameters().map(\.parameter) }

  public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
    children.flatMap { child -> [(name: String, parameter: Parameter)] in
      let childPrefix = prefix + child.name + "."
      if let nested = child.layer as? Sequential { return nested.namedParameters(prefix: childPrefix) }
      return child.layer.parameters.map { (name: childPrefix + $0.name, parameter: $0) }
    }
  }
}
