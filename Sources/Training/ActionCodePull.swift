import LAM
import NN

/// The `codes` action-label remedy: pull each labelled z_e towards the code pre-assigned to its action
/// (code i stands for action i), the paper's action prediction.
///
/// loss = weight * mean over labelled rows of ||z_e - sg(e_a)||² / sg(s), where s is the mean squared
/// distance between two codes. Without the division the pull is satisfied by shrinking every z_e, and the
/// codebook that follows them by EMA, towards one point: the latent stays free to hold whatever else it
/// likes. Measured in units of the codes' spread, the pull can only be lowered by putting z_e nearer its
/// action's code than the others are.
///
/// Writes dLoss/dz_e into `gradient` (zero on unlabelled rows) and returns the loss; 0 when no row is labelled.
public func actionCodePull(_ zE: Tensor, codebook: Tensor, labels: [Int], mask: [Bool], weight: Float,
                    gradient: Tensor) -> Float {
  let (rows, dim, codes) = (zE.shape[0], zE.shape[1], codebook.shape[0])  // z_e [N, D], codebook [K, D]
  gradient.resize(zE.shape)  // [N, D]
  gradient.zero()
  let labelled = mask.prefix(rows).reduce(0) { $0 + ($1 ? 1 : 0) }
  guard labelled > 0, codes > 1 else { return 0 }
  var spread = 0.0
  for j in 0..<codes {
    for k in (j + 1)..<codes {
      for t in 0..<dim {
        let d = Double(codebook.data[j * dim + t] - codebook.data[k * dim + t])
        spread += d * d
      }
    }
  }
  spread /= Double(codes * (codes - 1) / 2)
  // A codebook collapsed to one point gives no direction to pull in.
  guard spread > 0 else { return 0 }
  let scale = Float(2 * Double(weight) / (Double(labelled) * spread))
  var sum = 0.0
  for row in 0..<rows where mask[row] {
    let z = zE.data + row * dim, e = codebook.data + labels[row] * dim, d = gradient.data + row * dim
    for t in 0..<dim {
      let diff = z[t] - e[t]
      sum += Double(diff * diff)
      d[t] = scale * diff
    }
  }
  return Float(Double(weight) * sum / (Double(labelled) * spread))
}
