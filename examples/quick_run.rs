use billcast::engine::{SimOptions, simulate, summary};
use billcast::pricing::PriceBook;
use billcast::scenario::Scenario;
use std::path::PathBuf;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let s = Scenario::load(std::path::Path::new(&args[1]), &args[2..]).unwrap();
    let book = PriceBook::load(&[PathBuf::from("benches/pricing")]).unwrap();
    let t = std::time::Instant::now();
    let sim = simulate(&s, &book, &SimOptions::default()).unwrap();
    let el = t.elapsed();
    for m in 0..sim.months.len() {
        let mut xs = sim.totals[m].clone();
        xs.sort_by(|a, b| a.total_cmp(b));
        let (mean, sd) = summary::mean_sd(&xs);
        println!(
            "{} mean {mean:.2} sd {sd:.2} p50 {:.2} p95 {:.2}",
            sim.months[m],
            summary::quantile_sorted(&xs, 0.5),
            summary::quantile_sorted(&xs, 0.95)
        );
    }
    println!(
        "{} | {:.2}s | attempts/trial {:.0}",
        sim.mode_reason,
        el.as_secs_f64(),
        sim.volumes[0].attempts
    );
}
