fn main() {
    println!("aaprove: under construction");
}
