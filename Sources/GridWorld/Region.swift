import Core

/// A rectangle of grid cells: `height` rows from `row`, `width` columns from `col`.
public struct Region: Hashable, Codable, Sendable {
  public var row: Int
  public var col: Int
  public var height: Int
  public var width: Int

  public init(row: Int = 0, col: Int = 0, height: Int, width: Int) {
    self.row = row
    self.col = col
    self.height = height
    self.width = width
  }

  /// Every cell of a grid of `height` x `width` cells.
  public static func whole(height: Int, width: Int) -> Region { Region(height: height, width: width) }

  enum CodingKeys: String, CodingKey, CaseIterable { case row, col, height, width }

  public init(from decoder: Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    row = try c.decode(.row, default: 0)
    col = try c.decode(.col, default: 0)
    height = try c.decode(Int.self, forKey: .height)
    width = try c.decode(Int.self, forKey: .width)
  }

  public var cellCount: Int { height * width }

  public func contains(_ cell: Cell) -> Bool {
    cell.row >= row && cell.row < row + height && cell.col >= col && cell.col < col + width
  }

  /// The cell at `index` in row-major order within the region.
  public func cell(at index: Int) -> Cell { Cell(row: row + index / width, col: col + index % width) }

  /// The region's index of `cell` in row-major order.
  public func index(of cell: Cell) -> Int { (cell.row - row) * width + (cell.col - col) }

  /// The middle cell; for an even side, the lower/right of the two middle cells (row + height / 2).
  public var centre: Cell { Cell(row: row + height / 2, col: col + width / 2) }

  /// Throws unless the region has at least one cell and lies inside a grid of `gridHeight` x `gridWidth`.
  func validate(_ field: String, gridHeight: Int, gridWidth: Int) throws {
    try Check.range(height, "\(field).height", 1...gridHeight)
    try Check.range(width, "\(field).width", 1...gridWidth)
    try Check.range(row, "\(field).row", 0...(gridHeight - height))
    try Check.range(col, "\(field).col", 0...(gridWidth - width))
  }
}
