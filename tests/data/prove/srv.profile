# A small profile for `prove` tests: everything under /srv is readable.
profile srv {
  /srv/** r,
  deny /srv/secret/** r,
}
