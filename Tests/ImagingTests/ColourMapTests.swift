import Imaging
import Testing

@Test func viridisEndpointsArePublishedValues() {
  #expect(ColourMap.viridis.colour(at: 0) == Colour(hex: 0x440154))
  #expect(ColourMap.viridis.colour(at: 1) == Colour(hex: 0xfde725))
  #expect(ColourMap.viridis.colour(at: -3) == Colour(hex: 0x440154))
  #expect(ColourMap.viridis.colour(at: 7) == Colour(hex: 0xfde725))
  // Entries 127 (#21908d) and 128 (#21918c) averaged, halves rounded up.
  #expect(ColourMap.viridis.colour(at: 0.5) == Colour(0x21, 0x91, 0x8d))
  #expect(ColourMap.viridis.stops.count == 256)
}

@Test func divergingMapRunsBlueWhiteRed() {
  let map = ColourMap.blueWhiteRed
  #expect(map.colour(at: 0) == Colour(hex: 0x053061))
  #expect(map.colour(at: 0.5) == Colour(hex: 0xf7f7f7))
  #expect(map.colour(at: 1) == Colour(hex: 0x67001f))
  #expect(map.colour(of: -2, in: -2...2) == Colour(hex: 0x053061))
  #expect(map.colour(of: 0, in: -2...2) == Colour(hex: 0xf7f7f7))
}

@Test func interpolationIsLinearBetweenStops() {
  let map = ColourMap(stops: [Colour(0, 100, 200), Colour(100, 200, 0)])
  #expect(map.colour(at: 0.25) == Colour(25, 125, 150))
  #expect(map.colour(at: .nan) == Colour(gray: 128))
}

@Test func paletteHasTenDistinctColoursThatRepeat() {
  #expect(Set(Palette.tableau10).count == 10)
  #expect(Palette.colour(0) == Colour(hex: 0x1f77b4))
  #expect(Palette.colour(12) == Palette.colour(2))
}
