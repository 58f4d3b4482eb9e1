import Imaging
import Testing

@Test func niceTicksAreOneTwoOrFiveTimesAPowerOfTen() {
  #expect(Ticks.nice(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
  #expect(Ticks.nice(0, 10) == [0, 2, 4, 6, 8, 10])
  #expect(Ticks.nice(-1, 1) == [-1, -0.5, 0, 0.5, 1])
  #expect(Ticks.nice(0.1, 0.35) == [0.1, 0.15, 0.2, 0.25, 0.3, 0.35])
  #expect(Ticks.nice(-3.7, 12.1) == [0, 5, 10])
  #expect(Ticks.nice(-3.7, 12.1, maxCount: 8) == [-2, 0, 2, 4, 6, 8, 10, 12])
  #expect(Ticks.nice(1e6, 5e6) == [1e6, 2e6, 3e6, 4e6, 5e6])
  #expect(Ticks.nice(0.0003, 0.0011) == [0.0004, 0.0006, 0.0008, 0.001])
  #expect(Ticks.nice(2, 2) == [2])
}

@Test func tickLabelsCarryTheDecimalsTheSpacingNeeds() {
  #expect(Ticks.labels(Ticks.nice(0, 1)) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
  #expect(Ticks.labels(Ticks.nice(0, 10000)) == ["0", "2000", "4000", "6000", "8000", "10000"])
  #expect(Ticks.labels(Ticks.nice(0.1, 0.35)) == ["0.10", "0.15", "0.20", "0.25", "0.30", "0.35"])
  #expect(Ticks.labels(Ticks.nice(1e6, 5e6)) == ["1e6", "2e6", "3e6", "4e6", "5e6"])
  #expect(Ticks.labels([-1.5e6, 0, 1.5e6]) == ["-1.5e6", "0", "1.5e6"])
  #expect(Ticks.labels([0, 0.25, 0.5]) == ["0.00", "0.25", "0.50"])
}

@Test func logTicksArePowersOfTenOrOneTwoFiveWithinADecade() {
  #expect(Ticks.logarithmic(0.0005, 2.5) == [0.001, 0.01, 0.1, 1])
  #expect(Ticks.logarithmic(0.02, 0.5) == [0.02, 0.05, 0.1, 0.2, 0.5])
  #expect(Ticks.logarithmic(1e-8, 1e4) == [1e-8, 1e-6, 1e-4, 1e-2, 1, 100, 1e4])
  #expect(Ticks.logLabels([1e-8, 1e-4, 0.01, 1, 100, 1e4, 1e5]) == ["1e-8", "1e-4", "0.01", "1", "100", "10000", "1e5"])
}
