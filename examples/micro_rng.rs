use rand::{Rng, SeedableRng};
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n = 1_000_000;
    let mut acc = 0.0f64;
    let conv = |x: u64| (x >> 11) as i64 as f64 * (1.0 / (1u64 << 53) as f64);
    match which.as_str() {
        "pcg" => {
            let mut r = rand_pcg::Pcg64Mcg::seed_from_u64(1);
            for _ in 0..n {
                acc += conv(r.next_u64());
            }
        }
        "xplus" => {
            let mut r = rand_xoshiro::Xoshiro256Plus::seed_from_u64(1);
            for _ in 0..n {
                acc += conv(r.next_u64());
            }
        }
        "xpp" => {
            let mut r = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
            for _ in 0..n {
                acc += conv(r.next_u64());
            }
        }
        "split" => {
            let mut r = rand_xoshiro::SplitMix64::seed_from_u64(1);
            for _ in 0..n {
                acc += conv(r.next_u64());
            }
        }
        _ => {}
    }
    println!("{acc}");
}
