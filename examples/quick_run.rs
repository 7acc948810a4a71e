use billcast::engine::{simulate, SimOptions};
use billcast::pricing::PriceBook;
use billcast::scenario::Scenario;
use std::path::PathBuf;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let s = Scenario::load(std::path::Path::new(&args[1]), &args[2..].to_vec()).unwrap();
    let book = PriceBook::load(&[PathBuf::from("benches/pricing")]).unwrap();
    let t = std::time::Instant::now();
    let sim = simulate(&s, &book, &SimOptions::default()).unwrap();
    let el = t.elapsed();
    let (m, sd) = billcast::engine::summary::mean_sd(&sim.totals[0]);
    println!("mean {m:.2} sd {sd:.2} comps {:?} vol {:?} calls/s {:.1}M", sim.components[0], sim.volumes[0], sim.volumes[0].attempts * s.trials as f64 / el.as_secs_f64() / 1e6);
}
