/// How much a figure enlarges a world's frames: a 4 x 4 or a 32 x 32 pixel frame must both be readable
/// on screen, so every frame is blown up by an integer factor (nearest neighbour, so cells stay crisp) to at
/// least `minimumSide` pixels on its longer side.
public enum FrameScale {
  /// The smallest on-screen side, in pixels, of an enlarged frame.
  public static let minimumSide = 96

  /// The smallest integer factor that makes the frame's longer side at least `minimumSide` pixels (1 for
  /// frames already that large).
  public static func factor(height: Int, width: Int) -> Int {
    let side = max(height, width, 1)
    return max(1, (minimumSide + side - 1) / side)
  }
}
