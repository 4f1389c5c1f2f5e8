//! The `alphastock` command.

fn main() {
    println!("alphastock");
}
