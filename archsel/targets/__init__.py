"""Hardware targets: validated device profiles (profiles/*.yaml) and target-class defaults (no torch)."""

from archsel.targets.profiles import (
    TARGET_CLASSES,
    ProfileSet,
    TargetProfile,
    class_defaults,
    load_profile_set,
    load_profiles,
    profile_problems,
    resolve_target,
)

__all__ = [
    "TARGET_CLASSES",
    "ProfileSet",
    "TargetProfile",
    "class_defaults",
    "load_profile_set",
    "load_profiles",
    "profile_problems",
    "resolve_target",
]
