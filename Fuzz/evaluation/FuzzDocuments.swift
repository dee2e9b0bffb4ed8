// libFuzzer entry over the evaluation readers: the input, as a submission against a fixed
// small benchmark (masks included) and as ground truth, must be scored, loaded or refused
// with an InputError; a crash, a trap or a sanitizer report is a finding.

/// Two categories, masks in compressed and integer-count RLE, three pairs.
let fuzzBenchmark: Benchmark = {
    let text = """
        {"format": "misc-pairs/v1", "name": "fuzz",
         "categories": [{"name": "cat", "keypoints": ["nose"]}, {"name": "dog", "keypoints": ["nose", "tail"]}],
         "images": [{"id": "I1", "width": 10, "height": 10}, {"id": "I2", "width": 10, "height": 10}, {"id": "I3", "width": 5, "height": 4}],
         "instances": [
          {"id": 1, "image": "I1", "category": "cat", "keypoints": [[1, 1, 2]], "segmentation": {"size": [10, 10], "counts": [0, 20, 80]}},
          {"id": 2, "image": "I2", "category": "cat", "keypoints": [[2, 2, 2]], "segmentation": {"size": [10, 10], "counts": "0X1l1"}},
          {"id": 3, "image": "I2", "category": "cat", "keypoints": [[8, 8, 2]], "segmentation": [[5, 5, 9, 5, 9, 9, 5, 9]]},
          {"id": 4, "image": "I1", "category": "dog", "keypoints": [[5, 5, 2], [6, 6, 2]]},
          {"id": 5, "image": "I3", "category": "dog", "keypoints": [[2, 2, 2], [0, 0, 0]]}],
         "pairs": [{"id": "cat-1", "category": "cat", "source": "I1", "target": "I2"},
                   {"id": "dog-1", "category": "dog", "source": "I1", "target": "I3"},
                   {"id": "cat-2", "category": "cat", "source": "I2", "target": "I1"}]}
        """
    do {
        return try GroundTruthReader.read(source: MemoryByteSource(Array(text.utf8)))
    } catch {
        fatalError("the fuzz benchmark does not load: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    // Odd chunk sizes put token boundaries on buffer refills.
    let chunk = bytes.first.map { Int($0 % 16) + 1 } ?? 1
    do {
        let scores = try Evaluator(benchmark: fuzzBenchmark).evaluate(source: MemoryByteSource(bytes, chunk: chunk))
        for summary in [scores.overall] + scores.categories.map(\.summary) {
            for alpha in summary.alphas {
                for value in [alpha.mpck, alpha.recall, alpha.f1].compactMap({ $0 }) where !(value >= 0 && value <= 1) {
                    fatalError("a score outside [0, 1]: \(value)")
                }
            }
            if let miou = summary.miou, !(miou >= 0 && miou <= 1) { fatalError("mIoU outside [0, 1]: \(miou)") }
        }
        _ = ScoresDocument.json(scores)
        _ = ScoresTable.render(scores)
    } catch is InputError {
    } catch {
        fatalError("a submission failed with an untyped error: \(error)")
    }
    do {
        let benchmark = try GroundTruthReader.read(source: MemoryByteSource(bytes, chunk: chunk))
        _ = try Evaluator(benchmark: benchmark)
            .evaluate(source: MemoryByteSource(Array(#"{"format": "misc-predictions/v1", "pairs": []}"#.utf8)))
    } catch is InputError {
    } catch {
        fatalError("ground truth failed with an untyped error: \(error)")
    }
    return 0
}
