import Core

extension Safetensors {
  /// Writes named parameters (as F32) plus `extra` tensors and `metadata` to `path`, atomically.
  /// Names follow PyTorch's state_dict convention, e.g. `idm.conv1.weight`.
  public static func save(
    parameters: [(name: String, tensor: Tensor)], extra: [StoredTensor] = [],
    metadata: [String: String] = [:], to path: String
  ) throws {
    let stored = parameters.map { StoredTensor(name: $0.name, tensor: $0.tensor) }
    try write(stored + extra, metadata: metadata, to: path)
  }

  /// Reads `path` and copies each stored tensor into the parameter of the same name.
  ///
  /// The file must hold exactly the parameters plus the tensors named in `extra`: missing and
  /// unexpected names are one error listing them all; a parameter stored with another shape or
  /// dtype is an error naming it. Everything is checked before any parameter is changed, so a failed
  /// load leaves the model as it was. A parameter holding NaN or infinity is refused. Returns the `extra`
  /// tensors and the file's metadata.
  @discardableResult
  public static func load(
    into parameters: [(name: String, tensor: Tensor)], extra: Set<String> = [], from path: String
  ) throws -> (extra: [String: StoredTensor], metadata: [String: String]) {
    let file = try read(from: path)
    try load(into: parameters, extra: extra, from: file, path: path)
    return (file.tensors.filter { extra.contains($0.key) }, file.metadata)
  }

  /// `load(into:extra:from:)` from a file already read (`read(from:)`); `path` names it in messages.
  public static func load(
    into parameters: [(name: String, tensor: Tensor)], extra: Set<String> = [],
    from file: (tensors: [String: StoredTensor], metadata: [String: String]), path: String
  ) throws {
    var parameterNames = Set<String>()
    for parameter in parameters where !parameterNames.insert(parameter.name).inserted {
      throw LamError("\(path): the parameter name '\(parameter.name)' is listed twice")
    }
    let expected = parameterNames.union(extra)
    let found = Set(file.tensors.keys)
    let missing = expected.subtracting(found).sorted()
    let unexpected = found.subtracting(expected).sorted()
    var problems: [String] = []
    if !missing.isEmpty { problems.append("missing tensors \(missing.joined(separator: ", "))") }
    if !unexpected.isEmpty { problems.append("unexpected tensors \(unexpected.joined(separator: ", "))") }
    guard problems.isEmpty else { throw LamError("\(path): \(problems.joined(separator: "; "))") }

    var updates: [(tensor: Tensor, values: [Float])] = []
    for (name, tensor) in parameters {
      guard let stored = file.tensors[name] else { throw LamError("\(path): missing tensor '\(name)'") }
      guard stored.dtype == .f32 else {
        throw LamError("\(path): tensor '\(name)': expected dtype F32, found \(stored.dtype.rawValue)")
      }
      guard stored.shape == tensor.shape else {
        throw LamError("\(path): tensor '\(name)': expected shape \(tensor.shape), found \(stored.shape)")
      }
      let values = try stored.floats()
      // lam never saves a non-finite parameter (a diverged run keeps its last good checkpoint).
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw LamError("\(path): tensor '\(name)': value \(values[bad]) at index \(bad) (expected finite numbers)")
      }
      updates.append((tensor, values))
    }
    for (tensor, values) in updates {
      for (i, value) in values.enumerated() { tensor[i] = value }
    }
  }
}
