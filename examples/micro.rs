use billcast::dist::{Dist, Family, FastRng, Sampler};
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n = 1_000_000;
    let mut rng = FastRng::from_seed(1);
    let mut acc = 0.0;
    match which.as_str() {
        "uniform" => {
            for _ in 0..n {
                acc += rng.uniform();
            }
        }
        "table" => {
            let s = Sampler::new(&Dist::plain(Family::LogNormal {
                mu: 5.0,
                sigma: 0.8,
            }));
            for _ in 0..n {
                acc += s.sample(&mut rng);
            }
        }
        "table_ceil" => {
            let s = Sampler::new(&Dist::plain(Family::LogNormal {
                mu: 5.0,
                sigma: 0.8,
            }));
            for _ in 0..n {
                acc += billcast::dist::sampler::ceil_pos(s.sample(&mut rng));
            }
        }
        "poisson" => {
            let s = Sampler::new(&Dist::plain(Family::Poisson { lambda: 1.5 }));
            for _ in 0..n {
                acc += s.sample(&mut rng);
            }
        }
        _ => {}
    }
    println!("{acc}");
}
