// Training-free instance separation: a normalised cut of the target's foreground patches
// (affinity = feature similarity × spatial closeness), the instance count from the largest
// eigengap, and spherical k-means on the spectral embedding.

enum NormalizedCut {
    /// A segment label per target patch (−1: not foreground or in a dropped segment),
    /// segments numbered 0..<count by decreasing size.
    struct Result: Sendable {
        var labels: [Int]
        var count: Int

        /// Labels `0..<count` anew by decreasing size (ties: the lower old label first),
        /// dropping segments of fewer than `minPatches` patches.
        func renumbered(minPatches: Int) -> Result {
            var sizes = [Int](repeating: 0, count: count)
            for label in labels where label >= 0 { sizes[label] += 1 }
            let order = (0..<count).filter { sizes[$0] >= minPatches && sizes[$0] > 0 }
                .sorted { (sizes[$0], -$0) > (sizes[$1], -$1) }
            var renamed = [Int](repeating: -1, count: count)
            for (index, label) in order.enumerated() { renamed[label] = index }
            return Result(labels: labels.map { $0 >= 0 ? renamed[$0] : -1 }, count: order.count)
        }
    }

    static func segment(_ features: FeatureMap, foreground: [Float], config: MatcherConfig.Segmentation,
                        threshold: Float) -> Result {
        let patches = features.geometry.patches
        let nodes = (0..<patches).filter { foreground[$0] >= threshold }
        var labels = [Int](repeating: -1, count: patches)
        guard nodes.count >= max(2, config.minPatches) else { return Result(labels: labels, count: 0) }
        guard let spectrum = Spectrum(features, nodes: nodes, config: config, count: config.maxInstances + 1) else {
            for patch in nodes { labels[patch] = 0 }
            return Result(labels: labels, count: 1)
        }
        // The largest gap decides, among the counts k whose k-th eigenvalue is well below the
        // next (λ_k ≤ ratio · λ_{k+1}): a real cut leaves λ_k near zero, while a single
        // elongated object has a smooth spectrum (λ_2 / λ_3 ≈ 1/4 for a uniform strip).
        let lambdas = spectrum.lambdas
        var k = 1, bestGap = -Float.infinity
        for candidate in 1...max(1, min(config.maxInstances, nodes.count - 1)) where candidate < lambdas.count {
            let gap = lambdas[candidate] - lambdas[candidate - 1]
            let isCut = candidate == 1 || lambdas[candidate - 1] <= Float(config.maxEigenRatio) * lambdas[candidate]
            if isCut && gap > bestGap { bestGap = gap; k = candidate }
        }
        var assignment = [Int](repeating: 0, count: nodes.count)
        if k > 1 {
            let strongest = (0..<nodes.count).max { foreground[nodes[$0]] < foreground[nodes[$1]] } ?? 0
            assignment = SphericalKMeans.cluster(spectrum.embedding(k), rows: nodes.count, dimensions: k, clusters: k,
                                                 seeds: [strongest], iterations: config.kmeansIterations)
        }
        for (a, patch) in nodes.enumerated() { labels[patch] = assignment[a] }
        return Result(labels: labels, count: k).renumbered(minPatches: config.minPatches)
    }

    /// Splits the patches `nodes` into `seeds.count` parts by the same cut, k-means seeded at
    /// the given patches (positions in `nodes`): when the count is known, as from keypoints.
    static func split(_ features: FeatureMap, nodes: [Int], seeds: [Int], config: MatcherConfig.Segmentation) -> [Int]? {
        let k = seeds.count
        guard k > 1, nodes.count > k, let spectrum = Spectrum(features, nodes: nodes, config: config, count: k) else { return nil }
        return SphericalKMeans.cluster(spectrum.embedding(k), rows: nodes.count, dimensions: k, clusters: k,
                                       seeds: seeds, iterations: config.kmeansIterations)
    }

    /// The smallest eigenpairs of the normalised Laplacian of the patches `nodes`.
    struct Spectrum {
        let n: Int
        /// Laplacian eigenvalues λ = 1 − μ, ascending.
        let lambdas: [Float]
        /// Eigenvectors of M, column-major, ascending in μ (so the last is λ's first).
        let vectors: [Float]
        let count: Int

        init?(_ features: FeatureMap, nodes: [Int], config: MatcherConfig.Segmentation, count wanted: Int) {
            let g = features.geometry
            let (gw, c) = (g.gridWidth, features.channels)
            let n = nodes.count
            var position = [Int](repeating: -1, count: g.patches)
            for (index, patch) in nodes.enumerated() { position[patch] = index }
            // Affinity W (dense: a few hundred nodes), then M = D^-½ W D^-½.
            var affinity = [Float](repeating: 0, count: n * n)
            let reach = config.neighbourhood
            let featureScale = Float(1 / config.featureTemperature), spatialScale = Float(1 / config.spatialScale)
            features.values.withUnsafeBufferPointer { values in
                for (a, patch) in nodes.enumerated() {
                    let (i, j) = (patch / gw, patch % gw)
                    for di in -reach...reach {
                        for dj in -reach...reach {
                            let (ni, nj) = (i + di, j + dj)
                            guard ni >= 0, ni < g.gridHeight, nj >= 0, nj < gw else { continue }
                            let b = position[ni * gw + nj]
                            guard b >= a else { continue }
                            var dot: Float = 0
                            let u = values.baseAddress! + patch * c, v = values.baseAddress! + (ni * gw + nj) * c
                            for k in 0..<c { dot += u[k] * v[k] }
                            let weight = (-(1 - dot) * featureScale).exp() * (-Float(di * di + dj * dj) * spatialScale).exp()
                            affinity[a * n + b] = weight
                            affinity[b * n + a] = weight
                        }
                    }
                }
            }
            var scale = [Float](repeating: 0, count: n)
            for a in 0..<n {
                var sum: Float = 1e-9
                for b in 0..<n { sum += affinity[a * n + b] }
                scale[a] = 1 / sum.squareRoot()
            }
            for a in 0..<n { for b in 0..<n { affinity[a * n + b] *= scale[a] * scale[b] } }
            let count = min(wanted, n)
            guard let eigen = SymmetricEigen.largest(affinity, n: n, count: count) else { return nil }
            self.n = n
            self.count = count
            lambdas = eigen.values.reversed().map { 1 - $0 }
            vectors = eigen.vectors
        }

        /// Rows of the first k eigenvectors (smallest λ), L2-normalised: the spectral embedding.
        func embedding(_ k: Int) -> [Float] {
            var rows = [Float](repeating: 0, count: n * k)
            for a in 0..<n {
                var norm: Float = 0
                for d in 0..<k {
                    let value = vectors[(count - 1 - d) * n + a]
                    rows[a * k + d] = value
                    norm += value * value
                }
                let inverse = norm > 0 ? 1 / norm.squareRoot() : 0
                for d in 0..<k { rows[a * k + d] *= inverse }
            }
            return rows
        }
    }
}

enum SphericalKMeans {
    /// Clusters unit rows by cosine: the seeds given, then repeatedly the row least similar
    /// to every seed so far; then assign / re-centre for `iterations` rounds.
    static func cluster(_ rows: [Float], rows n: Int, dimensions d: Int, clusters k: Int, seeds given: [Int],
                        iterations: Int) -> [Int] {
        func dot(_ a: Int, _ centre: [Float], _ index: Int) -> Float {
            var sum: Float = 0
            for j in 0..<d { sum += rows[a * d + j] * centre[index * d + j] }
            return sum
        }
        var centres = [Float](repeating: 0, count: k * d)
        var closest = [Float](repeating: -.infinity, count: n)
        var seed = given.first ?? 0
        for cluster in 0..<k {
            if cluster < given.count { seed = given[cluster] }
            for j in 0..<d { centres[cluster * d + j] = rows[seed * d + j] }
            var next = 0, lowest = Float.infinity
            for a in 0..<n {
                closest[a] = max(closest[a], dot(a, centres, cluster))
                if closest[a] < lowest { lowest = closest[a]; next = a }
            }
            seed = next
        }
        var assignment = [Int](repeating: 0, count: n)
        for _ in 0..<max(1, iterations) {
            var changed = false
            for a in 0..<n {
                var best = 0, bestValue = -Float.infinity
                for cluster in 0..<k {
                    let value = dot(a, centres, cluster)
                    if value > bestValue { bestValue = value; best = cluster }
                }
                if assignment[a] != best { assignment[a] = best; changed = true }
            }
            var sums = [Float](repeating: 0, count: k * d)
            for a in 0..<n { for j in 0..<d { sums[assignment[a] * d + j] += rows[a * d + j] } }
            for cluster in 0..<k {
                var norm: Float = 0
                for j in 0..<d { norm += sums[cluster * d + j] * sums[cluster * d + j] }
                // An empty cluster keeps its centre.
                guard norm > 0 else { continue }
                let inverse = 1 / norm.squareRoot()
                for j in 0..<d { centres[cluster * d + j] = sums[cluster * d + j] * inverse }
            }
            if !changed { break }
        }
        return assignment
    }
}
