import Foundation
import Testing

/// `evaldb demo`: deterministic files, a working database, refusal of a non-empty folder.
@Suite struct DemoEndToEndTests {
    @Test func demoIsDeterministicAndComparesTheRuns() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let first = cli.folder.appendingPathComponent("one").path
        let second = cli.folder.appendingPathComponent("two").path
        let run = try cli.run(["demo", "--dir", first], withDatabase: false)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("baseline -> candidate: dataset demo-visdrone, protocol visdrone"))
        #expect(run.stdout.contains("Explore further:"))
        #expect(try cli.run(["demo", "--dir", second], withDatabase: false).status == 0)
        let files = [
            "dataset/images.csv", "dataset/annotations/demo_0007.txt", "runs/baseline/demo_0042.txt",
            "runs/candidate/demo_0042.txt",
        ]
        for file in files {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(first)/\(file)"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(second)/\(file)"))
            #expect(!a.isEmpty && a == b, "\(file)")
        }
        let counts = try cli.run(
            [
                "sql",
                "SELECT (SELECT count(*) FROM datasets), (SELECT count(*) FROM runs), (SELECT count(*) FROM evaluations)",
                "--format", "csv", "--db", "\(first)/evaldb.sqlite",
            ], withDatabase: false)
        #expect(counts.stdout.hasSuffix("\n1,2,2\n"), "\(counts.stdout)")
        // The candidate is better on cars and worse on bicycles, and the diff says so.
        let cars = try cli.run(
            [
                "sql",
                "SELECT category, run, AP FROM class_summary WHERE category IN ('car', 'bicycle') ORDER BY category, run",
                "--format", "csv", "--db", "\(first)/evaldb.sqlite",
            ], withDatabase: false)
        let ap = cars.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(ap.count == 4)
        if ap.count == 4 {
            #expect(Double(ap[0][2])! > Double(ap[1][2])!)  // bicycle: baseline > candidate
            #expect(Double(ap[2][2])! < Double(ap[3][2])!)  // car: baseline < candidate
        }
        let jsonA = try cli.run(
            ["eval", "candidate", "--format", "json", "--db", "\(first)/evaldb.sqlite"], withDatabase: false)
        let jsonB = try cli.run(
            ["eval", "candidate", "--format", "json", "--db", "\(second)/evaldb.sqlite"], withDatabase: false)
        #expect(jsonA.stdout == jsonB.stdout)
        // A non-empty folder is refused and left alone.
        let refused = try cli.run(["demo", "--dir", first], withDatabase: false)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("exists and is not empty: choose another --dir, or pass --force"))
        #expect(try cli.run(["demo", "--dir", first, "--force"], withDatabase: false).status == 0)
    }
}
