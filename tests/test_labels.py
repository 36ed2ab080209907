from agent_telemetry.core.labels import OTHER, BoundedLabel


def test_values_within_the_limit_pass_through():
    overflows = []
    label = BoundedLabel(2, lambda: overflows.append(1))
    assert [label("a"), label("b"), label("a")] == ["a", "b", "a"]
    assert overflows == []


def test_new_values_past_the_limit_fold_into_other_and_are_counted():
    overflows = []
    label = BoundedLabel(2, lambda: overflows.append(1))
    label("a")
    label("b")
    assert [label("c"), label("d"), label("a")] == [OTHER, OTHER, "a"]
    assert len(overflows) == 2
