profile invalid {
  this is not a rule
}
