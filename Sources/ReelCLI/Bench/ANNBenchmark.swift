import ArgumentParser
import Foundation
import ReelRecommend

struct ANNBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ann",
        abstract: "Builds the HNSW index and measures recall@10 and single-thread queries per second for several ef values.",
        discussion: """
            Without files it generates clustered synthetic vectors (--count × --dimension) and computes the exact
            neighbours. --export DIR writes them as base.fvecs, queries.fvecs and truth.ivecs; --faiss PYTHON runs
            Benchmarks/faiss_hnsw.py (pip faiss-cpu) on the same vectors in the same run, for a side-by-side figure.
            """)
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Base vectors (.fvecs).") var base: String?
    @Option(help: "Query vectors (.fvecs).") var queries: String?
    @Option(help: "Ground truth neighbour ids (.ivecs); computed exactly when absent.") var truth: String?
    @Option(help: "Synthetic base size.") var count = 1_000_000
    @Option(help: "Synthetic dimension.") var dimension = 64
    @Option(help: "Synthetic query count.") var queryCount = 1000
    @Option(help: "Links per node (upper levels; twice on level 0).") var m = 16
    @Option(help: "Search width while building.") var efConstruction = 40
    @Option(help: "Search widths to measure, comma-separated.") var ef = "10,16,24,32,48,64,96,128,256"
    @Option(help: "Write the vectors and truth used here to this directory.") var export: String?
    @Option(help: "A Python with faiss-cpu: also measure FAISS HNSW on the same vectors.") var faiss: String?

    func run() async throws {
        let t0 = monotonicSeconds()
        let baseSet: VectorSet
        let querySet: VectorSet
        if let base, let queries {
            baseSet = try VectorFiles.readFvecs(base)
            querySet = try VectorFiles.readFvecs(queries)
            guard baseSet.dimension == querySet.dimension else {
                throw ValidationError("base has \(baseSet.dimension) dimensions, queries \(querySet.dimension)")
            }
        } else if base != nil || queries != nil {
            throw ValidationError("give both --base and --queries, or neither (synthetic vectors)")
        } else {
            let all = SyntheticVectors.clustered(count: count + queryCount, dimension: dimension, seed: 0xA11)
            baseSet = VectorSet(dimension: dimension, values: Array(all.values[0..<(count * dimension)]))
            querySet = VectorSet(dimension: dimension, values: Array(all.values[(count * dimension)...]))
        }
        log(String(format: "vectors: %d base, %d queries, %d dimensions (%.1f s)", baseSet.count, querySet.count, baseSet.dimension, monotonicSeconds() - t0))
        let neighbours: [[Int]]
        if let truth {
            neighbours = try VectorFiles.readIvecs(truth)
        } else {
            let t = monotonicSeconds()
            neighbours = SyntheticVectors.groundTruth(base: baseSet, queries: querySet, k: 10)
            log(String(format: "exact neighbours: %.1f s", monotonicSeconds() - t))
        }
        if let export {
            try FileManager.default.createDirectory(atPath: export, withIntermediateDirectories: true)
            try VectorFiles.writeFvecs(baseSet, to: "\(export)/base.fvecs")
            try VectorFiles.writeFvecs(querySet, to: "\(export)/queries.fvecs")
            try VectorFiles.writeIvecs(neighbours, to: "\(export)/truth.ivecs")
        }

        let index = HNSWIndex(dimension: baseSet.dimension, parameters: .init(m: m, efConstruction: efConstruction), initialCapacity: baseSet.count)
        let tb = monotonicSeconds()
        for i in 0..<baseSet.count {
            index.insert(Array(baseSet.row(i)), label: UInt64(i))
            if i > 0 && i % 100_000 == 0 { log(String(format: "built %d (%.0f s)", i, monotonicSeconds() - tb)) }
        }
        let buildSeconds = monotonicSeconds() - tb
        log(String(format: "build: %.1f s", buildSeconds))

        let queryRows = (0..<querySet.count).map { Array(querySet.row($0)) }
        let efs = ef.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        _ = queryRows.map { index.search($0, k: 10, ef: efs.first ?? 10) }  // warm-up
        var points: [String] = []
        for e in efs {
            let t = monotonicSeconds()
            var found = 0
            var results: [[UInt64]] = []
            results.reserveCapacity(queryRows.count)
            for q in queryRows { results.append(index.search(q, k: 10, ef: e).map(\.label)) }
            let seconds = monotonicSeconds() - t
            for (qi, r) in results.enumerated() {
                let want = Set(neighbours[qi].prefix(10).map(UInt64.init))
                found += r.filter { want.contains($0) }.count
            }
            let recall = Double(found) / Double(10 * queryRows.count)
            let qps = Double(queryRows.count) / seconds
            log(String(format: "ef %4d: recall@10 %.4f, %.0f queries/s", e, recall, qps))
            points.append(String(format: "{\"ef\": %d, \"recallAt10\": %.4f, \"queriesPerSecond\": %.0f}", e, recall, qps))
        }
        var fields: [(String, String)] = [
            ("vectors", "\(baseSet.count)"), ("dimension", "\(baseSet.dimension)"), ("queries", "\(querySet.count)"),
            ("m", "\(m)"), ("efConstruction", "\(efConstruction)"),
            ("buildSeconds", String(format: "%.2f", buildSeconds)), ("points", "[" + points.joined(separator: ", ") + "]"),
        ]
        if let faiss {
            let dir = export ?? NSTemporaryDirectory() + "reel-ann-\(getpid())"
            if export == nil {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try VectorFiles.writeFvecs(baseSet, to: "\(dir)/base.fvecs")
                try VectorFiles.writeFvecs(querySet, to: "\(dir)/queries.fvecs")
                try VectorFiles.writeIvecs(neighbours, to: "\(dir)/truth.ivecs")
            }
            defer { if export == nil { try? FileManager.default.removeItem(atPath: dir) } }
            log("running FAISS on the same vectors")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: faiss)
            p.arguments = ["Benchmarks/faiss_hnsw.py", dir, "--m", "\(m)", "--ef-construction", "\(efConstruction)", "--ef", ef]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0, let text = String(data: out, encoding: .utf8) else {
                throw ValidationError("the FAISS script failed (status \(p.terminationStatus))")
            }
            fields.append(("faiss", text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (k, v) in fields { print("\(k): \(v)") }
        }
    }
}
