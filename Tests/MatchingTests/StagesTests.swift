// The pipeline's steps alone, on small synthetic arrays: geometry, upsampling, heat, peaks,
// refinement, the LAPACK eigensolver, the normalised cut, the guided filter, the cache.
import Foundation
import Imaging
import TestSupport
import Testing
@testable import Matching

@Suite struct StagesTests {
    @Test func geometryKeepsTheAspectOnPatchMultiples() {
        let g = InputGeometry(imageWidth: 640, imageHeight: 425, longSide: 448, patch: 14)
        #expect(g.inputWidth == 448)
        #expect(g.inputHeight == 294)  // 425·0.7 = 297.5 → 21.25 patches → 21
        #expect(g.gridWidth == 32 && g.gridHeight == 21)
        let tall = InputGeometry(imageWidth: 100, imageHeight: 1000, longSide: 448, patch: 14)
        #expect(tall.inputHeight == 448 && tall.inputWidth == 42)
        let thin = InputGeometry(imageWidth: 1, imageHeight: 1000, longSide: 448, patch: 14)
        #expect(thin.inputWidth == 14, "a side never rounds to zero patches")
    }

    @Test func upsamplingIsBilinearWithHalfPixelCentres() {
        let axis = UpsampleAxis(cells: 3, factor: 4)
        #expect(axis.count == 12)
        // Output centre (i + 0.5)/4 − 0.5: cell 0 → −0.375 (clamped to 0); cell 6 → 1.125.
        #expect(axis.low[0] == 0 && axis.weight[0] == 0)
        #expect(axis.low[6] == 1 && axis.high[6] == 2 && abs(axis.weight[6] - 0.125) < 1e-6)
        #expect(axis.low[11] == 2 && axis.high[11] == 2)
    }

    @Test func heatIsRelativeToTheMapsMaximum() {
        let grid: [Float] = [0.1, 0.5, 0.2, 0.9]
        let map = grid.withUnsafeBufferPointer {
            Heatmap(grid: $0.baseAddress!, gridWidth: 2, rowsAxis: UpsampleAxis(cells: 2, factor: 1),
                    columnsAxis: UpsampleAxis(cells: 2, factor: 1), offset: 0.1, temperature: 0.05)
        }
        #expect(map.maxCost == 0.9)
        #expect(abs(map.heat[3] - 1 / (1 + exp(-2))) < 1e-6, "the best cell is always sigmoid(offset / T)")
        #expect(map.heat[0] < 1e-6)
        #expect(map.argmax == 3)
    }

    /// A map with Gaussian bumps at the given cells and heights.
    static func map(rows: Int, columns: Int, bumps: [(Int, Int, Float)]) -> Heatmap {
        var grid = [Float](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns {
                for (bi, bj, height) in bumps {
                    let d2 = Float((i - bi) * (i - bi) + (j - bj) * (j - bj))
                    grid[i * columns + j] = max(grid[i * columns + j], height * Foundation.exp(-d2 / 8))
                }
            }
        }
        return grid.withUnsafeBufferPointer {
            Heatmap(grid: $0.baseAddress!, gridWidth: columns, rowsAxis: UpsampleAxis(cells: rows, factor: 1),
                    columnsAxis: UpsampleAxis(cells: columns, factor: 1), offset: 0.1, temperature: 0.05)
        }
    }

    @Test func peaksAreSeparatedByTheRadiusAndThresholded() {
        let map = Self.map(rows: 40, columns: 40, bumps: [(10, 10, 1.0), (30, 30, 0.98), (12, 12, 0.99), (30, 5, 0.5)])
        let peaks = Peaks.find(map, threshold: 0.7, radius: 5, limit: 20)
        // (12,12) is within 5 of (10,10) and merges into one bump; (30,5) is too weak.
        #expect(peaks.count == 2)
        #expect(peaks.allSatisfy { $0.heat >= 0.7 })
        for a in peaks { for b in peaks where a != b { #expect(Peaks.chebyshev(a, b) > 5) } }
        #expect(Peaks.find(map, threshold: 0.7, radius: 5, limit: 1).count == 1)
        // Nothing above the threshold: the strongest cell is still kept.
        let strongest = Peaks.find(map, threshold: 0.99, radius: 5, limit: 20)
        #expect(strongest.count == 1 && strongest[0].heat == map.heat[map.argmax])
    }

    @Test func refinementFindsTheCentreOfASymmetricBump() {
        let map = Self.map(rows: 20, columns: 20, bumps: [(8, 12, 1.0)])
        let geometry = InputGeometry(imageWidth: 280, imageHeight: 280, longSide: 280, patch: 14)
        let peak = Peak(row: 8, column: 12, heat: 1)
        let point = Refinement.locate(peak, in: map, window: 5, temperature: 0.05, factor: 1, geometry: geometry)
        // Cell (8, 12) of a 20 × 20 grid over 280 pixels: centre at (12.5, 8.5) × 14.
        #expect(abs(point.x - 12.5 * 14) < 1e-6 && abs(point.y - 8.5 * 14) < 1e-6)
        let edge = Refinement.locate(Peak(row: 0, column: 0, heat: 1), in: map, window: 5, temperature: 0.05,
                                     factor: 1, geometry: geometry)
        #expect(edge.x >= 0 && edge.y >= 0)
    }

    @Test func eigenpairsFromLAPACKSatisfyTheirEquation() throws {
        let n = 12
        var generator = SplitMix64(seed: 3)
        var matrix = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let v = generator.unit(); matrix[i * n + j] = v; matrix[j * n + i] = v } }
        let result = try #require(SymmetricEigen.largest(matrix, n: n, count: 4))
        #expect(result.values.count == 4)
        #expect(result.values == result.values.sorted(), "ascending")
        for k in 0..<4 {
            let vector = Array(result.vectors[(k * n)..<((k + 1) * n)])
            for i in 0..<n {
                var product: Float = 0
                for j in 0..<n { product += matrix[i * n + j] * vector[j] }
                #expect(abs(product - result.values[k] * vector[i]) < 1e-4)
            }
        }
        // The trace bounds: the largest eigenvalue is at least the largest diagonal entry.
        #expect(result.values[3] >= (0..<n).map { matrix[$0 * n + $0] }.max()! - 1e-5)
    }

    /// Features of a grid where each region has its own direction, plus a little noise.
    static func features(width: Int, height: Int, region: (Int, Int) -> Int?) -> (FeatureMap, [Float]) {
        let channels = 8
        var generator = SplitMix64(seed: 9)
        var values = [Float](repeating: 0, count: width * height * channels)
        var foreground = [Float](repeating: 0, count: width * height)
        for i in 0..<height {
            for j in 0..<width {
                let base = (i * width + j) * channels
                if let r = region(i, j) {
                    values[base + r] = 1
                    foreground[i * width + j] = 1
                } else {
                    values[base + 7] = 1
                }
                for c in 0..<channels { values[base + c] += 0.05 * generator.unit() }
            }
        }
        let geometry = InputGeometry(imageWidth: width * 14, imageHeight: height * 14, longSide: max(width, height) * 14, patch: 14)
        return (FeatureMap(geometry: geometry, channels: channels, values: values).normalised(), foreground)
    }

    static let segmentation = MatcherConfig.Segmentation(
        neighbourhood: 3, featureTemperature: 0.1, spatialScale: 8, maxInstances: 6, maxEigenRatio: 0.25,
        kmeansIterations: 20, minPatches: 2,
        splitOnRepeatedKeypoints: true, partOverlap: 0, refineRadius: 1, refineEpsilon: 0.01, refineColour: false)

    @Test func theCutSeparatesTwoTouchingObjectsAndKeepsOneWhole() {
        // Two 6 × 6 squares side by side (touching) with different features.
        let (two, foregroundTwo) = Self.features(width: 20, height: 12) { i, j in
            guard (3..<9).contains(i) else { return nil }
            if (4..<10).contains(j) { return 0 }
            if (10..<16).contains(j) { return 1 }
            return nil
        }
        let split = NormalizedCut.segment(two, foreground: foregroundTwo, config: Self.segmentation, threshold: 0.5)
        #expect(split.count == 2)
        let left = split.labels[5 * 20 + 5], right = split.labels[5 * 20 + 14]
        #expect(left >= 0 && right >= 0 && left != right)
        for i in 3..<9 {
            for j in 4..<10 { #expect(split.labels[i * 20 + j] == left) }
            for j in 10..<16 { #expect(split.labels[i * 20 + j] == right) }
        }
        #expect(split.labels[0] == -1, "background stays unlabelled")

        let (one, foregroundOne) = Self.features(width: 20, height: 12) { i, j in
            (3..<9).contains(i) && (4..<16).contains(j) ? 0 : nil
        }
        #expect(NormalizedCut.segment(one, foreground: foregroundOne, config: Self.segmentation, threshold: 0.5).count == 1)
        // The plain largest eigengap cuts the uniform strip in two: what the ratio test prevents.
        var plain = Self.segmentation
        plain.maxEigenRatio = 1
        #expect(NormalizedCut.segment(one, foreground: foregroundOne, config: plain, threshold: 0.5).count == 2)
    }

    /// Groups (instance 0, keypoints 0...3) and a peak at a patch of a `width`-wide grid.
    static let fourKeypoints = (0..<4).map { Matcher.Group(instance: 0, keypoint: $0) }
    static func peak(_ patch: Int, width: Int) -> Peak { Peak(row: patch / width, column: patch % width, heat: 0.9) }

    @Test func touchingPartsWithComplementaryKeypointsMergeAndInstancesDoNot() {
        // Two touching segments, 0 (columns 0–3) and 1 (columns 4–7), on an 8 × 4 grid.
        let labels = (0..<32).map { ($0 % 8) < 4 ? 0 : 1 }
        let segments = NormalizedCut.Result(labels: labels, count: 2)
        // Head keypoints in one part, leg keypoints in the other: one instance.
        let parts = [[Self.peak(9, width: 8)], [Self.peak(10, width: 8)], [Self.peak(13, width: 8)], [Self.peak(14, width: 8)]]
        let merged = PartMerging.merge(segments, peaks: parts, groups: Self.fourKeypoints, factor: 1, maxOverlap: 0.35,
                                       gridWidth: 8, reach: 3)
        #expect(merged.count == 1 && Set(merged.labels) == [0])
        // Every keypoint in both segments: two instances side by side stay apart.
        let twice = (0..<4).map { [Self.peak(8 + $0 % 2, width: 8), Self.peak(13 + $0 % 2, width: 8)] }
        #expect(PartMerging.merge(segments, peaks: twice, groups: Self.fourKeypoints, factor: 1, maxOverlap: 0.35,
                                  gridWidth: 8, reach: 3).count == 2)
        // Far apart (beyond the reach), complementary segments are not parts of one another.
        let apart = NormalizedCut.Result(labels: (0..<32).map { ($0 % 8) < 2 ? 0 : (($0 % 8) > 5 ? 1 : -1) }, count: 2)
        let farParts = [[Self.peak(8, width: 8)], [Self.peak(9, width: 8)], [Self.peak(14, width: 8)], [Self.peak(15, width: 8)]]
        #expect(PartMerging.merge(apart, peaks: farParts, groups: Self.fourKeypoints, factor: 1, maxOverlap: 0.35,
                                  gridWidth: 8, reach: 3).count == 2)
    }

    @Test func aSegmentHoldingEveryDistinctiveKeypointTwiceIsCutInTwo() {
        // Two touching 6 × 6 objects of slightly different features, one segment over both.
        let (features, foreground) = Self.features(width: 20, height: 12) { i, j in
            guard (3..<9).contains(i) else { return nil }
            if (4..<10).contains(j) { return 0 }
            if (10..<16).contains(j) { return 1 }
            return nil
        }
        let labels = foreground.map { $0 > 0 ? 0 : -1 }
        let segments = NormalizedCut.Result(labels: labels, count: 1)
        // Keypoints 0 and 1 (distinctive) each peak once on either object.
        let peaks = [[Self.peak(4 * 20 + 6, width: 20), Self.peak(4 * 20 + 12, width: 20)],
                     [Self.peak(7 * 20 + 7, width: 20), Self.peak(7 * 20 + 13, width: 20)]]
        let groups = Array(Self.fourKeypoints.prefix(2))
        let split = InstanceSplitting.split(segments, peaks: peaks, groups: groups, distinctive: [true, true], features: features,
                                            factor: 1, config: Self.segmentation)
        #expect(split.count == 2)
        #expect(split.labels[5 * 20 + 5] != split.labels[5 * 20 + 14])
        // Repeated only by symmetric (not distinctive) keypoints: one instance, not cut.
        #expect(InstanceSplitting.split(segments, peaks: peaks, groups: groups, distinctive: [false, false], features: features,
                                        factor: 1, config: Self.segmentation).count == 1)
        // Distinctiveness: of three keypoint features, the two alike are not distinctive.
        let queries: [Float] = [1, 0, 0.995, 0.0999, 0, 1]
        let three = (0..<3).map { Matcher.Group(instance: 0, keypoint: $0) }
        #expect(InstanceSplitting.distinctive(queries: queries, groups: three, channels: 2) == [false, false, true])
    }

    @Test func groupingLabelsTheNearestSegmentAndPaintsMasks() throws {
        let labels = [0, 0, -1, -1,
                      0, 0, -1, 1,
                      -1, -1, -1, 1]
        #expect(Grouping.segment(atPatch: 0, labels: labels, gridWidth: 4) == 0)
        #expect(Grouping.segment(atPatch: 3, labels: labels, gridWidth: 4) == 1)
        #expect(Grouping.segment(atPatch: 10, labels: labels, gridWidth: 4) == 1)
        #expect(Grouping.segment(atPatch: 0, labels: [-1, -1], gridWidth: 2) == nil)
        let geometry = InputGeometry(imageWidth: 56, imageHeight: 42, longSide: 56, patch: 14)
        let instances = try Grouping.instances(labels: labels, count: 2, foreground: [Float](repeating: 1, count: 12),
                                               geometry: geometry, refinement: nil)
        #expect(instances.map(\.id) == [1, 2])
        #expect(instances.allSatisfy { $0.mask.width == 56 && $0.mask.height == 42 })
        // Masks never overlap, and each covers its patches' centres.
        let a = instances[0].mask.rowMajorMask(), b = instances[1].mask.rowMajorMask()
        #expect(zip(a, b).allSatisfy { !($0 == 1 && $1 == 1) })
        #expect(a[7 * 56 + 7] == 1 && b[21 * 56 + 49] == 1)
    }

    @Test func boxFilterMatchesANaiveMeanAndTheGuidedFilterKeepsConstants() {
        var generator = SplitMix64(seed: 5)
        let (width, height) = (17, 11)
        let values = (0..<(width * height)).map { _ in generator.unit() }
        let filtered = BoxFilter.mean(values, width: width, height: height, radius: 2)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0, count: Float = 0
                for yy in max(0, y - 2)...min(height - 1, y + 2) {
                    for xx in max(0, x - 2)...min(width - 1, x + 2) { sum += values[yy * width + xx]; count += 1 }
                }
                #expect(abs(filtered[y * width + x] - sum / count) < 1e-5)
            }
        }
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let guided = GuidedFilter(guide: GuidedFilter.grey(pixels, count: width * height), channels: 1, width: width, height: height,
                                  radius: 3, epsilon: 0.01)
        let constant = guided.apply([Float](repeating: 0.75, count: width * height))
        #expect(constant.allSatisfy { abs($0 - 0.75) < 1e-4 })
        let colour = GuidedFilter(guide: pixels.map { Float($0) / 255 }, channels: 3, width: width, height: height, radius: 3, epsilon: 0.01)
        #expect(colour.apply([Float](repeating: 0.75, count: width * height)).allSatisfy { abs($0 - 0.75) < 1e-3 })
    }

    /// The vector passes (eight rows per block, transposed four by four; eight columns per
    /// step) give the plain running sums' results exactly, whatever the size against the
    /// blocks and the radius against the size.
    @Test func boxFilterIsThePlainRunningSumsBitForBit() {
        /// Per row, a running sum in double precision of the window entering and leaving,
        /// its mean rounded to float; then the same down each column of those means.
        func runningMeans(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
            func pass(_ input: [Float], count: Int, lines: Int, at: (Int, Int) -> Int) -> [Float] {
                var out = input
                for line in 0..<lines {
                    var sum: Double = 0
                    for i in 0..<min(count, radius) { sum += Double(input[at(line, i)]) }
                    for i in 0..<count {
                        if i + radius < count { sum += Double(input[at(line, i + radius)]) }
                        if i - radius - 1 >= 0 { sum -= Double(input[at(line, i - radius - 1)]) }
                        out[at(line, i)] = Float(sum) / Float(min(count - 1, i + radius) - max(0, i - radius) + 1)
                    }
                }
                return out
            }
            let rows = pass(values, count: width, lines: height) { y, x in y * width + x }
            return pass(rows, count: height, lines: width) { x, y in y * width + x }
        }
        var generator = SplitMix64(seed: 9)
        for (width, height, radius) in [(1, 1, 1), (3, 13, 2), (17, 11, 2), (37, 9, 12), (64, 16, 5), (9, 70, 40)] {
            let planes = 2, count = width * height
            let values = (0..<(planes * count)).map { _ in generator.unit() * 100 }
            var filtered = values
            BoxFilter.mean(values, into: &filtered, planes: planes, width: width, height: height, radius: radius)
            for plane in 0..<planes {
                let expected = runningMeans(Array(values[(plane * count)..<((plane + 1) * count)]), width: width, height: height,
                                            radius: radius)
                #expect(Array(filtered[(plane * count)..<((plane + 1) * count)]) == expected, "\(width)x\(height) r \(radius)")
            }
        }
    }

    /// The masks' refinement: at full resolution it is the guided filter itself; reduced (the
    /// fast filter of large images) it stays close to it; a window sees only its own values.
    @Test func maskRefinementIsTheGuidedFilterAndItsFastVariantStaysClose() throws {
        let (width, height) = (60, 44)
        var generator = SplitMix64(seed: 11)
        // Two flat colour regions with noise, and a blurred mask of the left one.
        var pixels = [UInt8](repeating: 0, count: width * height * 3), mask = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let left = x < 27
                for channel in 0..<3 {
                    let base = left ? [200, 60, 40][channel] : [40, 90, 180][channel]
                    pixels[(y * width + x) * 3 + channel] = UInt8(base + Int.random(in: -12...12, using: &generator))
                }
                mask[y * width + x] = left ? 1 : 0
            }
        }
        let image = try RGBImage(width: width, height: height, pixels: pixels)
        let soft = BoxFilter.mean(mask, width: width, height: height, radius: 4)
        let full = GuidedFilter(guide: pixels.map { Float($0) / 255 }, channels: 3, width: width, height: height, radius: 6,
                                epsilon: 0.01).apply(soft)
        let refined = MaskRefinement(image, radius: 6, epsilon: 0.01, colour: true)
        #expect(refined.step == 1)
        let same = refined.apply(soft, x0: 0, y0: 0, width: width, height: height)
        #expect(zip(same, full).allSatisfy { abs($0 - $1) < 1e-4 })
        // Radius 36 is fitted on a copy reduced 3 times.
        let wide = GuidedFilter(guide: pixels.map { Float($0) / 255 }, channels: 3, width: width, height: height, radius: 36,
                                epsilon: 0.01).apply(soft)
        let reduced = MaskRefinement(image, radius: 36, epsilon: 0.01, colour: true)
        #expect(reduced.step == 3)
        let fast = reduced.apply(soft, x0: 0, y0: 0, width: width, height: height)
        let meanError = zip(fast, wide).reduce(Float(0)) { $0 + abs($1.0 - $1.1) } / Float(width * height)
        #expect(meanError < 0.03, "mean |fast − full| = \(meanError)")
        // A window is refined from its own values alone (zero beyond it): farther than two
        // radii from its right side, it agrees with the whole image's refinement.
        let window = (0..<height).flatMap { y in (0..<30).map { soft[y * width + $0] } }
        let left = refined.apply(window, x0: 0, y0: 0, width: 30, height: height)
        for y in 0..<height {
            for x in 0..<(30 - 12) { #expect(abs(left[y * 30 + x] - same[y * width + x]) < 1e-4) }
        }
        #expect(abs(left[20 * 30 + 29] - same[20 * width + 29]) > 1e-3, "near its side, the window's zeros count")
    }

    /// Red beside green of nearly equal brightness: the grey guide sees no edge and blurs a
    /// mask that follows the colours; the colour guide keeps it.
    @Test func theColourGuideKeepsAnEdgeTheGreyGuideCannotSee() {
        let (width, height) = (40, 10)
        var rgb = [Float](repeating: 0, count: width * height * 3), mask = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let left = x < 20
                rgb[(y * width + x) * 3] = left ? 0.8 : 0.1         // red
                rgb[(y * width + x) * 3 + 1] = left ? 0.1 : 0.49    // green: about the same grey
                mask[y * width + x] = left ? 1 : 0
            }
        }
        var grey = [Float](repeating: 0, count: width * height)
        for index in grey.indices {
            let (r, g, b) = (rgb[3 * index], rgb[3 * index + 1], rgb[3 * index + 2])
            grey[index] = 0.299 * r + 0.587 * g + 0.114 * b
        }
        let soft = BoxFilter.mean(mask, width: width, height: height, radius: 3)  // a blurred mask
        let byGrey = GuidedFilter(guide: grey, channels: 1, width: width, height: height, radius: 3, epsilon: 0.001).apply(soft)
        let byColour = GuidedFilter(guide: rgb, channels: 3, width: width, height: height, radius: 3, epsilon: 0.001).apply(soft)
        func error(_ values: [Float]) -> Float { zip(values, mask).reduce(0) { $0 + abs($1.0 - $1.1) } }
        #expect(error(byColour) < 0.7 * error(byGrey))
        // The step across the edge (between x = 19 and 20) is sharper with the colour guide.
        let row = 5 * width
        #expect(byColour[row + 19] - byColour[row + 20] > byGrey[row + 19] - byGrey[row + 20] + 0.2)
    }

    @Test func cacheEvictsTheLeastRecentlyUsedWithinItsBytes() {
        let geometry = InputGeometry(imageWidth: 28, imageHeight: 28, longSide: 28, patch: 14)
        func features(_ value: Float) -> FeatureMap {
            FeatureMap(geometry: geometry, channels: 256, values: [Float](repeating: value, count: 4 * 256))
        }
        let entryBytes = 4 * 256 * 4
        let cache = FeatureCache(capacityBytes: 2 * entryBytes)
        let images = (0..<3).map { RGBImage(width: 28, height: 28, fill: (UInt8($0), 0, 0)) }
        let keys = images.map { FeatureCache.key($0, geometry: geometry, layer: 9) }
        #expect(Set(keys).count == 3, "different pixels, different keys")
        #expect(FeatureCache.key(images[0], geometry: geometry, layer: 8) != keys[0], "the layer is part of the key")
        cache.insert(features(0), for: keys[0])
        cache.insert(features(1), for: keys[1])
        #expect(cache.lookup(keys[0])?.values.first == 0)  // 0 is now the most recent
        cache.insert(features(2), for: keys[2])
        #expect(cache.lookup(keys[1]) == nil, "the least recently used entry went")
        #expect(cache.lookup(keys[0]) != nil && cache.lookup(keys[2]) != nil)
        #expect(cache.statistics.bytes <= 2 * entryBytes)
        #expect(FeatureCache(capacityBytes: 0).lookup(keys[0]) == nil)
    }
}

extension SplitMix64 {
    /// Uniform in −1...1.
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
}
