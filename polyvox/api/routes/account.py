"""Models, user and subscription: read-only views of the registry and usage."""

from __future__ import annotations

import time

from fastapi import APIRouter

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.services.models import LANGUAGE_NAMES, MODELS

router = APIRouter(tags=["account"])


@router.get("/v1/models")
def list_models(services: ServicesDep, _: PrincipalDep) -> list[dict]:
    out = []
    for m in MODELS:
        if m.engine not in services.engines.names():
            continue  # an optional model whose engine is not installed
        engine = services.engines.peek(m.engine)
        langs = m.languages or tuple(sorted(engine.info.languages))
        out.append({
            "model_id": m.model_id, "name": m.name, "description": m.description,
            "can_be_finetuned": False, "can_do_text_to_speech": True, "can_do_voice_conversion": False,
            "can_use_style": m.can_use_style, "can_use_speaker_boost": True, "serves_pro_voices": False,
            "token_cost_factor": m.cost_factor, "requires_alpha_access": False,
            "max_characters_request_free_user": m.max_characters,
            "max_characters_request_subscribed_user": m.max_characters,
            "maximum_text_length_per_request": m.max_characters,
            "languages": [{"language_id": c, "name": LANGUAGE_NAMES.get(c, c)} for c in langs],
            "model_rates": {"character_cost_multiplier": m.cost_factor},
            "concurrency_group": m.concurrency_group,
            "engine": m.engine, "sample_rate": engine.info.sample_rate,
        })
    from polyvox.services.voice_changer import STS_MODELS

    for sm in STS_MODELS.values():
        out.append({
            "model_id": sm.model_id, "name": sm.name, "description": sm.description,
            "can_be_finetuned": False, "can_do_text_to_speech": False, "can_do_voice_conversion": True,
            "can_use_style": False, "can_use_speaker_boost": True, "serves_pro_voices": False,
            "token_cost_factor": 1.0, "requires_alpha_access": False,
            "max_characters_request_free_user": 0, "max_characters_request_subscribed_user": 0,
            "maximum_text_length_per_request": 0, "languages": [], "model_rates": {"character_cost_multiplier": 1.0},
            "concurrency_group": "standard",
        })
    return out


def _subscription(services, principal) -> dict:
    key = services.keys.usage(principal.key_id)
    limit = key.character_limit if key and key.character_limit is not None else services.settings.limits.character_limit
    month = time.gmtime()
    reset = int(time.mktime((month.tm_year + (month.tm_mon == 12), month.tm_mon % 12 + 1, 1, 0, 0, 0, 0, 0, 0)))
    custom = sum(1 for v in services.voices.list() if v.category != "premade")
    return {
        "tier": "self_hosted", "character_count": key.character_count if key else 0, "character_limit": limit,
        "can_extend_character_limit": False, "allowed_to_extend_character_limit": False,
        "next_character_count_reset_unix": reset, "voice_slots_used": custom, "voice_limit": 10_000,
        "max_voice_add_edits": None, "voice_add_edit_counter": 0, "professional_voice_limit": 0,
        "can_extend_voice_limit": False, "can_use_instant_voice_cloning": False,
        "can_use_professional_voice_cloning": False, "currency": None, "status": "active",
        "billing_period": "monthly_period", "character_refresh_period": "monthly_period",
        "next_invoice": None, "has_open_invoices": False,
    }


@router.get("/v1/user/subscription")
def subscription(services: ServicesDep, principal: PrincipalDep) -> dict:
    return _subscription(services, principal)


@router.get("/v1/user")
def user(services: ServicesDep, principal: PrincipalDep) -> dict:
    key = services.keys.usage(principal.key_id)
    return {
        "user_id": principal.key_id, "subscription": _subscription(services, principal), "subscription_extras": None,
        "is_new_user": False, "xi_api_key": None, "can_use_delayed_payment_methods": False,
        "is_onboarding_completed": True, "is_onboarding_checklist_completed": True,
        "first_name": principal.name, "is_api_key_hashed": True,
        "xi_api_key_preview": key.preview if key else None, "referral_link_code": None,
        "partnerstack_partner_default_link": None,
    }
